"""Hand-written stories for the syndication tests: a wire story, the same story edited,
another story on the same subject that must stay apart, and an unrelated one."""

from __future__ import annotations

# A wire story, as an agency sends it (dateline credit in the first line).
REEF = [
    "HONOLULU (VOA) — The United States said on Friday it is ready to help Pacific island governments "
    "expand the monitoring of coral reefs, after a regional survey found bleaching on more than half of "
    "the sites it examined last year.",
    "“What we are offering is practical support: boats, sensors and training for local rangers, so that "
    "the people who live beside these reefs can measure what is happening to them,” a State Department "
    "official told reporters during a briefing in Honolulu.",
    "Officials from Fiji, Samoa and Palau welcomed the offer but said any program had to be run by island "
    "agencies rather than by visiting scientists who leave when the grant money ends.",
    "The survey, carried out by a network of university laboratories, recorded water temperatures well "
    "above the seasonal average for eleven consecutive weeks in parts of the western Pacific.",
    "Researchers said the reefs that recovered fastest were those where fishing pressure had already been "
    "reduced, and urged governments to pair monitoring with local limits on catches.",
    "The first boats and sensors are expected to arrive in Suva before the end of the year, the official "
    "said, with training courses for rangers to follow in the spring.",
]

# The same story as a regional paper ran it: a local lede, a paragraph of its own,
# the last paragraph cut.
REEF_EDITED = [
    "Rangers in Fiji could soon be measuring reef bleaching with American equipment, after Washington "
    "offered help to island governments on Friday.",
    *REEF[1:3],
    "Fiji's fisheries minister told this newspaper the ministry had asked for such help for years and would "
    "put the new rangers on the outer islands first.",
    *REEF[3:5],
]

# Another story on the same subject, in other words: never a copy of REEF.
REEF_OTHER = [
    "Marine biologists in Palau have begun transplanting heat-tolerant corals onto damaged sections of the "
    "barrier reef, hoping the hardier colonies will survive the next marine heatwave.",
    "The nursery, built from steel frames anchored in a sheltered lagoon, now holds about four thousand "
    "fragments collected from reefs that stayed healthy during last summer's bleaching.",
    "“We are buying time, not solving the problem,” said the project's lead scientist, who added that only "
    "cutting emissions would stop the oceans from warming further.",
    "Volunteers from local dive shops clean the frames every week, removing algae that would otherwise smother "
    "the young corals before they are large enough to move.",
    "The team plans to publish its first survival figures next year and has offered to share its methods with "
    "neighbouring island states that want to build nurseries of their own.",
]

UNRELATED = [
    "The city council voted on Tuesday to extend the night bus service to the northern suburbs, ending a "
    "two-year campaign by residents who work late shifts at the hospital and the airport.",
    "The new routes will start in March and run every thirty minutes between midnight and five in the "
    "morning, at a cost the transport department put at just under two million a year.",
    "Council members who opposed the plan said the money would be better spent on repairing the roads the "
    "buses already use, many of which have not been resurfaced in a decade.",
    "Supporters pointed to a survey in which most night workers said they currently paid for taxis or walked "
    "home, and to the hospital's difficulty in filling night positions.",
    "The transport department said it would review passenger numbers after six months and could add a third "
    "route to the western industrial estate if demand was strong.",
]


def body(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)
