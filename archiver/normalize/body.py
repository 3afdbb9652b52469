"""Body text normalization: boilerplate lines out, paragraphs folded and unique.

Conservative by design: a line is dropped only when the whole line is a known
piece of site furniture (short, and matching one of the patterns below); a real
sentence that merely starts with such a word ("Advertisement revenue fell") stays.
"""

from __future__ import annotations

import re

from archiver.normalize import vocab
from archiver.normalize.text import fold_spaces

_PARA_SPLIT = re.compile(r"\n\s*\n")
_NON_WORD = re.compile(r"[\W_]+")

MIN_DEDUP_WORDS = 5
# Lines longer than this are prose, whatever words they start with.
MAX_BOILERPLATE_LEN = 160

_READ_MORE = vocab.alternation(vocab.words(vocab.READ_MORE))
# Whole lines that are site furniture, in the languages the archive meets most.
# Each pattern must match the entire line (after trimming bullets and colons).
BOILERPLATE_LINES = [
    re.compile(p, re.I)
    for p in (
        # advertising labels
        r"(advertisement|advertising|sponsored( content)?|anzeige|werbung|publicidad|publicité|"
        r"pubblicità|reklame|advertentie|annons|mainos|reklama|publicidade)",
        r"(story|article) continues (below|after)( (the )?(advertisement|this ad|ad))?",
        r"(continue|keep) reading (below|after the ad).*|weiterlesen nach der anzeige|"
        r"(der )?artikel (geht|wird) (unten|nach der (anzeige|werbung)) weiter.*",
        # share prompts
        r"(share|teilen|compartir|partager|condividi|delen|dela)( (this|the) (article|story|post|page))?"
        r"( (on|via|with) [\w ]{1,40})?",
        r"(share|tweet|email|print|copy link|pin it|whatsapp|facebook|twitter|linkedin|reddit)"
        r"(( |, |/|\|)+(share|tweet|email|print|copy link|pin it|whatsapp|facebook|twitter|linkedin|reddit|x))*",
        r"(click|tap) (here )?to share.*|artikel teilen|beitrag teilen|diesen artikel teilen",
        # cross-links announced as such
        rf"({_READ_MORE}|more from [\w ]+|watch|listen|more on this|lesen sie hier|zum thema|lire la suite)"
        r"\s*(:|»|›|>|\|).{0,120}",
        rf"({_READ_MORE})",
        # comments and forms
        r"(leave|post|add|write) a (reply|comment|response)|(\d+ )?(comments?|responses?|replies)( \(\d+\))?|"
        r"(kommentar(e)? schreiben|kommentieren|\d+ kommentare?)|(deja|dejar|publica) (un|tu) comentario|"
        r"\d+ comentarios?|laisser un commentaire|\d+ commentaires?|view comments|show comments|"
        r"join the (conversation|discussion)|comments are closed\.?|be the first to comment\.?",
        r"your email address will not be published\.?( required fields are marked\W*)?|"
        r"required fields are marked\W*|deine e-mail-adresse wird nicht veröffentlicht\.?.*|"
        r"tu dirección de correo electrónico no será publicada\.?.*|"
        r"you must be logged in to post a comment\.?|cancel reply|save my name, email, and website.*",
        # page furniture
        r"back to top( button)?|nach oben( scrollen)?|zurück nach oben|volver arriba|retour en haut|torna su|"
        r"skip to (main )?content|zum inhalt springen|top stories",
        r"(sign up|subscribe|register|jetzt) (for|to) (our|the) [\w ]{0,30}newsletters?.{0,80}|"
        r"(sign up|subscribe) (now|today|here)\.?|newsletter( abonnieren| bestellen)?|"
        r"(get|receive) (our|the) [\w ]{0,30}newsletter.{0,60}|suscríbete( al boletín)?.{0,60}|"
        r"abonnieren sie (jetzt )?(unseren|den) newsletter.{0,60}",
        r"(this|dieser) (article|story|artikel|beitrag) (was|is|ist|wurde) (first |originally )?"
        r"(published|posted|veröffentlicht|erschienen)( on| in| am| bei)? [\w .,]{0,40}",
        r"(copyright|©|\(c\)) ?(\d{4})?.{0,80}(all rights reserved|alle rechte vorbehalten|todos los derechos reservados).{0,20}",
        r"all rights reserved\.?|alle rechte vorbehalten\.?|todos los derechos reservados\.?",
        r"(follow|folgen sie) (us|uns) (on|auf) .{1,60}",
        r"follow [\w .'’-]{1,40} on (facebook|twitter|x|instagram|tiktok|youtube|google news|snapchat|threads|"
        r"linkedin|whatsapp|telegram|bluesky)\b.{0,120}",
        # promotions of the site's own products
        r"(sign up|subscribe|register)( now| today| here| free)? (for|to) .{1,140}|"
        r"(get|download|install) (the|our) [\w .'’-]{1,40} (app|newsletter)\b.{0,100}|"
        r"join (our|the) [\w .'’-]{1,40} (forums?|community|newsletter|whatsapp|telegram|channel)\b.{0,120}|"
        r"(click|tap) here\b.{0,140}|want (more|to read more)\b.{0,150}\?.{0,150}",
        r"(more|also|watch|listen|read|see|related|previously|top stories|recommended|trending|most read)"
        r"( (here|now|next))? ?:.{1,150}",
        # labels of blocks that trafilatura sometimes keeps without their content
        r"(recommended( videos| stories| for you)?|you (may|might) (also )?like|trending( now| this week)?|"
        r"most (read|popular|viewed)|popular( now)?|up next|deep dive|more stories|latest news|editor'?s picks|"
        r"related (videos|topics)|sponsored links?|promoted( stories| content)?|around the web|from our partners|"
        r"meistgelesen|meistgelesene artikel|empfehlungen|top-themen|themen|das könnte sie auch interessieren|"
        r"lo más leído|más noticias|les plus lus|czytaj (więcej|też|także)|les også|läs också|læs også|"
        r"lue myös|přečtěte si také|leggi anche|artikel|článek|don'?t miss|read next|more from [\w .'’-]{1,40}|"
        r"mehr von [\w .'’-]{1,40}|más de [\w .'’-]{1,40}|plus de [\w .'’-]{1,40})",
        # a video player's duration and availability line
        r"\(?\d{1,2}:\d{2}(:\d{2})?\)?( min\.?| minuten| mins?)?\.*( verfügbar bis [\d.]+\.?| available until .{1,30})?",
        r"(les også|läs också|læs også|lue myös|czytaj (więcej|też|także)|přečtěte si (také|též)|zum artikel)"
        r"\s*:.{1,150}",
        # embeds that left only their placeholder text
        r"(instagram|twitter|x|youtube|tiktok|facebook|external|externer|embedded) (content|inhalt|post|video)"
        r"( (nicht verfügbar|not available))?|this content can also be viewed on the site it originates from|"
        r"link zum [\w-]+-inhalt|.{0,60}enable javascript.{0,120}|"
        r"your browser does not support .{1,80}|(video|audio) (nicht verfügbar|not available|unavailable)",
        # agency and contributor credits
        r"(\(?(additional )?reporting by|editing by|writing by|compiled by|\(?with reporting from) .{1,150}",
        r".{1,80} contributed (reporting )?to this (report|story|article)\.?",
        r"(contributing|contributors|additional reporting|mitarbeit|colaboración|collaboration)\s*:.{1,200}",
        r"(mit (material|agenturmaterial|informationen) (von|der|des)? ?.{0,40}|mit agenturmaterial|"
        r"quelle: [\w .,/-]{1,60}|\((dpa|afp|ap|reuters|apa|kna|epd|sda|efe|ansa)(/[\w]+)*\))",
    )
]
# A line that only gives a date, a time or "Updated"/"Stand" with them.
DATE_WORDS = frozenset(
    word
    for concept in (vocab.PUBLISHED_WORDS, vocab.UPDATED_WORDS, vocab.DATE_PREPOSITIONS, vocab.WEEKDAYS)
    for phrase in vocab.words(concept)
    for word in phrase.split()
) | frozenset(vocab.month_numbers()) | frozenset(
    """
    update last am pm uhr gmt utc et est edt bst cet cest pt pst stand zuletzt la el de der um at by a las à h
    min read minutes minuten lesezeit
    """.split()
)
# "By Jane Doe", "Von Max Muster", "Por Ana García": a byline line that slipped into the text.
BYLINE_LINE = re.compile(
    rf"(?i:{vocab.alternation(vocab.BYLINE_LINE_PREFIXES)})\s*[:\-–—]?\s[A-ZÀ-ÖØ-ÞŁŚŻ][\w'’.-]+"
    r"( (und|and|y|et|e|og|och|i|&|,)? ?[A-ZÀ-ÖØ-ÞŁŚŻ][\w'’.-]+){1,5}",
)
# Closing lines about the author or how to reach them: dropped only at the end of the text.
AUTHOR_TAIL = re.compile(
    r"([A-ZÀ-ÖØ-Þ][\w'’.-]+ ){1,3}[A-ZÀ-ÖØ-Þ][\w'’.-]+ (is|was|ist|es|est) (a|an|the|ein|eine|un|una|une|"
    rf"senior|deputy|lead|chief|staff|contributing) .{{0,80}}({vocab.alternation(vocab.words(vocab.ROLES))})\b.{{0,250}}|"
    r"([A-ZÀ-ÖØ-Þ][\w'’.-]+ ){1,3}[A-ZÀ-ÖØ-Þ][\w'’.-]+ (writes|covers|reports|has covered|has written|"
    r"can be reached|schreibt|berichtet) .{0,250}|"
    r".{0,200}\b[\w.+-]+@[\w-]+\.[\w.]+\b.{0,120}|"
    r"(follow|contact|email|reach) (him|her|them|me|the author)\b.{0,200}",
)
# Captions: a short description ending in a picture credit.
CAPTION_CREDIT = re.compile(
    r".{0,250}(\(|\[|\s)(photo|picture|image|pic|credit|foto|bild|imagen|photograph)s?( credit)?:\s?"
    r"[^.!?()]{1,80}[\)\]]?\.?$",
    re.I,
)
# Embedded posts: "... pic.twitter.com/x— Name (@handle) December 22, 2023"
EMBEDDED_POST = re.compile(r"pic\.twitter\.com/\w+|[—-] ?[^—]{1,60} \(@\w{1,30}\) \w+ \d{1,2}, \d{4}$")
# Picture credits: "Photo: X/Reuters", "(Image credit: Getty)", "Foto: dpa", "Bild: Keystone".
CREDIT_LINE = re.compile(
    r"[\(\[]?\s*(photo|photograph|image|picture|pic|foto|fotos|bild|bilder|imagen|imágenes|"
    r"crédit photo|credit|credits|bildquelle|quelle|fuente|source|video)s?"
    r"( (credit|credits|courtesy|by|de|von))?\s*[:©|]\s*[^.!?]{1,100}[\)\]]?"
    r"|©\s*[^.!?]{1,80}|(photo|image|picture|foto|bild)s? ?(by|von|de|courtesy( of)?) [^.!?]{1,60}"
    r"|[^.!?]{0,60}(getty images|reuters|afp|ap photo|dpa|epa|keystone|shutterstock|imago|istock)"
    r"(/[\w ]+)*\)?",
    re.I,
)
_TRIM = " \t.:;|-–—»›>•·*#"


def clean_body(text: str | None, *, title: str | None = None) -> str:
    """Plain paragraphs separated by one blank line; pure, idempotent, never raises."""
    if not text:
        return ""
    try:
        return _clean(str(text), title)
    except Exception:  # noqa: BLE001 - a normalizer never fails a record
        return ""


def _clean(text: str, title: str | None) -> str:
    title_key = _key(title or "")
    seen: set[str] = set()
    out: list[str] = []
    for raw in _PARA_SPLIT.split(text):
        para = fold_spaces(raw)
        key = _key(para)
        # a short line may repeat as a heading of each section ("Pros", "Kill switch")
        if not key or (key in seen and key.count(" ") >= MIN_DEDUP_WORDS) or is_boilerplate(para):
            continue
        # a heading repeating the title above the first paragraph
        if not out and title_key and key == title_key:
            continue
        seen.add(key)
        out.append(para)
    # author notes close an article; the same words mid-text are reporting
    while out and len(out[-1]) <= 400 and AUTHOR_TAIL.fullmatch(out[-1]):
        out.pop()
    return "\n\n".join(out)


def is_boilerplate(para: str) -> bool:
    """True for a line that is site furniture rather than a sentence of the story."""
    if EMBEDDED_POST.search(para) or COMMENT_ARTIFACT.search(para):
        return True
    if len(para) > MAX_BOILERPLATE_LEN:
        return len(para) <= 300 and (
            bool(CAPTION_CREDIT.match(para)) or _is_consent_placeholder(para) or _is_newsletter_promo(para)
        ) or _is_cookie_notice(para) or _is_reprint_notice(para)
    line = para.strip(_TRIM)
    if any(p.fullmatch(line) for p in BOILERPLATE_LINES):
        return True
    if CREDIT_LINE.fullmatch(para.strip(" .")) or EMBEDDED_POST.search(para):
        return True
    if len(line) <= 80 and (_is_byline(line) or _is_dateline(line)):
        return True
    if _is_doubled(line) or _is_consent_placeholder(line) or _is_newsletter_promo(line) or _is_cookie_notice(line):
        return True
    if _is_reprint_notice(line):
        return True
    return len(para) <= 300 and bool(CAPTION_CREDIT.match(para))


def _is_newsletter_promo(line: str) -> bool:
    low = line.lower()
    return any(w in low for w in _NEWSLETTER_WORDS) and any(w in low for w in _SIGNUP_WORDS)


_NEWSLETTER_WORDS = ("newsletter", "inbox", "postfach", "posteingang", "boletín", "bandeja de entrada")
_SIGNUP_WORDS = ("sign up", "signup", "subscribe", "we'll send", "we will send", "delivered", "join ",
                 "anmelden", "abonnier", "registrier", "suscríb", "inscri")
# A forum widget's quote ("bit_user said:It's...") or its "Reply" button glued to a comment.
COMMENT_ARTIFACT = re.compile(r"^\w{3,30} said:\S|[.!?)] Reply$")


_COOKIE = re.compile(r"\bcookies?\b", re.I)
_COOKIE_CONSENT = vocab.words(vocab.COOKIE_CONSENT_WORDS)
COOKIE_NOTICE_MAX_LEN = 500


def _is_cookie_notice(line: str) -> bool:
    """A cookie banner's text: it names cookies and what it asks the reader to agree to."""
    if len(line) > COOKIE_NOTICE_MAX_LEN or not _COOKIE.search(line):
        return False
    low = line.lower()
    return any(w in low for w in _COOKIE_CONSENT)


# The reprint notice of syndicated copy ("This copy is for your personal,
# non-commercial use only. To order presentation-ready copies..."), left on a
# page in place of, or above, the story.
REPRINT_NOTICE = re.compile(
    r"(this copy is for your personal,? non-?commercial use only|distribution and use of this material are "
    r"governed by|to order presentation-ready copies)\b.{0,400}",
    re.I,
)


def _is_reprint_notice(line: str) -> bool:
    return bool(REPRINT_NOTICE.fullmatch(line))


def _is_doubled(line: str) -> bool:
    # "Title Title": a teaser card's image text and link text run together
    half = len(line) // 2
    return len(line) >= 20 and line[:half].strip() == line[half:].strip() and " " in line[:half].strip()


def _is_consent_placeholder(line: str) -> bool:
    low = line.lower()
    return any(w in low for w in _EXTERNAL_CONTENT) and any(w in low for w in _PRIVACY_WORDS)


# Placeholders left where a blocked embed would be: they speak of external
# content and of privacy settings in one breath.
_EXTERNAL_CONTENT = ("externe inhalte", "externer inhalt", "externen inhalt", "external content",
                     "third-party content", "drittanbieter", "contenido externo", "contenu externe",
                     "embedded content", "eingebettete inhalte")
_PRIVACY_WORDS = ("einstellung", "settings", "cookie", "consent", "zustimm", "datenschutz", "privacy",
                  "privatsphäre", "tracking", "consentimiento", "confidentialité")


def _is_byline(line: str) -> bool:
    """"By Jane Doe", also with the date: "Posted by Jane Doe on 04/18/2019", "Von Max Muster, 3. Mai 2024"."""
    m = BYLINE_LINE.match(line)
    if not m:
        return False
    rest = line[m.end():].strip(_TRIM + ",")
    return not rest or _is_dateline(rest)


def _is_dateline(line: str) -> bool:
    words = re.findall(r"[^\W\d_]+", line.lower())
    # two groups of digits at least: a day and a year, or a date and a time
    return len(re.findall(r"\d+", line)) >= 2 and all(w in DATE_WORDS for w in words)


def _key(text: str) -> str:
    return _NON_WORD.sub(" ", text).strip().casefold()
