"""Body text normalization: boilerplate lines out, paragraphs folded and unique.

Conservative by design: a line is dropped only when the whole line is a known
piece of site furniture (short, and matching one of the patterns below); a real
sentence that merely starts with such a word ("Advertisement revenue fell") stays.
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"[^\S\n]+")
_PARA_SPLIT = re.compile(r"\n\s*\n")
_NON_WORD = re.compile(r"[\W_]+")

# Lines longer than this are prose, whatever words they start with.
MAX_BOILERPLATE_LEN = 160

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
        r"(read more|read also|related|see also|also read|more from [\w ]+|watch|listen|more on this( story)?|"
        r"lesen sie (auch|mehr|hier)|mehr zum thema|mehr dazu|auch interessant|das könnte sie auch interessieren|"
        r"weitere artikel|zum thema|lee también|leer más|ver también|te puede interesar|noticias relacionadas|"
        r"à lire aussi|lire aussi|lire la suite|voir aussi|leggi anche|leia também|lees ook)\s*(:|»|›|>|\|).{0,120}",
        r"(read more|related( (articles|stories|content|coverage|posts))?|see also|also read|more on this story|"
        r"lesen sie (auch|mehr)|mehr zum thema|mehr dazu|auch interessant|weitere artikel|"
        r"lee también|leer más|ver también|noticias relacionadas|à lire aussi|lire aussi|leggi anche|leia também)",
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
    )
]
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
        para = _SPACES.sub(" ", raw.replace("\n", " ")).strip()
        key = _key(para)
        if not key or key in seen or is_boilerplate(para):
            continue
        # a heading repeating the title above the first paragraph
        if not out and title_key and key == title_key:
            continue
        seen.add(key)
        out.append(para)
    return "\n\n".join(out)


def is_boilerplate(para: str) -> bool:
    """True for a line that is site furniture rather than a sentence of the story."""
    if len(para) > MAX_BOILERPLATE_LEN:
        return False
    line = para.strip(_TRIM)
    if any(p.fullmatch(line) for p in BOILERPLATE_LINES):
        return True
    return bool(CREDIT_LINE.fullmatch(para.strip(" .")))


def _key(text: str) -> str:
    return _NON_WORD.sub(" ", text).strip().casefold()
