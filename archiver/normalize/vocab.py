"""The words pages use, per concept and language: one list each, for every module.

Bylines, body cleaning, the DOM readers, link and page classification and dates
all recognize the same words ("By", "Verfasst von", "Updated", "Related
articles", "/tag/"...). Each concept lives here once, as lower-case words or
phrases by language (ISO 639-1 codes; "*" for words every language uses), so
adding a language or a word changes every module that needs it at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping


def words(concept: Mapping[str, Iterable[str]], *languages: str) -> tuple[str, ...]:
    """The words of a concept (of some languages, or all), each once, in order."""
    chosen = languages or tuple(concept)
    return tuple(dict.fromkeys(w for lang in chosen for w in concept.get(lang, ())))


class Caseless:
    """A regex that ignores case, matched without re.IGNORECASE where it can be.

    Python's re scans a pattern that ignores case several times slower than a
    plain one (it loses its literal fast paths). An ASCII text, lowered, is
    matched by the pattern compiled plainly exactly where the original matches
    it, so only non-ASCII text pays for IGNORECASE. The pattern is written in
    lower case; a match of an ASCII text is one of the lowered text (same
    positions, lower-case groups).
    """

    __slots__ = ("plain", "caseless")

    def __init__(self, pattern: str, flags: int = 0):
        if any(c.isupper() for c in re.sub(r"\\.", "", pattern)):
            raise ValueError(f"Caseless patterns are written in lower case: {pattern[:60]!r}")
        self.plain = re.compile(pattern, flags)
        self.caseless = re.compile(pattern, flags | re.I)

    @property
    def pattern(self) -> str:
        return self.plain.pattern

    def search(self, text: str):
        return self.plain.search(text.lower()) if text.isascii() else self.caseless.search(text)

    def match(self, text: str):
        return self.plain.match(text.lower()) if text.isascii() else self.caseless.match(text)

    def fullmatch(self, text: str):
        return self.plain.fullmatch(text.lower()) if text.isascii() else self.caseless.fullmatch(text)


def alternation(items: Iterable[str]) -> str:
    """A regex alternation of words or phrases: longest first, a space matching any whitespace."""
    ordered = sorted(set(items), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


# --- who wrote it ---------------------------------------------------------------
# What introduces the writer's name in a byline: "By Jane Doe", "Verfasst von ...".
BYLINE_PREFIXES = {
    "en": ("by", "written by", "posted by", "reported by", "reporting by", "compiled by", "edited by",
           "text by", "story by", "words by", "report by", "author", "authors", "reporter", "interview",
           "interview by", "article by", "published by", "created by"),
    "de": ("von", "vom", "text", "text von", "verfasst von", "autor", "autorin", "autor/in", "autor*in",
           "autor:in", "autor/-in", "autorinnen", "redaktion", "interview", "erstellt von", "veröffentlicht von",
           "publiziert von", "geschrieben von", "artikel von", "ein beitrag von", "beitrag von", "gepostet von"),
    "fr": ("par", "texte", "auteur", "publié par", "écrit par"),
    "es": ("por", "de", "escrito por", "publicado por"),
    "it": ("di", "a cura di"),
    "nl": ("door",),
    "sv": ("av",),
    "no": ("av",),
    "da": ("af",),
    "pl": ("przez", "tekst"),
}
# Words that never stand in a writer's or an outlet's credit: the page's controls
# and labels where a byline sits ("More posts", "Hinterlasse einen Kommentar").
NOT_NAME_WORDS = {
    "en": ("posts", "comment", "comments", "no author", "unknown author", "leave a reply", "view all",
           "about", "with", "through", "between", "against", "without"),
    "de": ("kommentar", "kommentare", "kommentieren", "hinterlasse", "artikelübersicht", "beiträge", "übersicht",
           "weiterlesen", "alle artikel", "über", "für", "bis", "mit", "zur", "zum", "nach", "durch", "gegen",
           "ohne", "zwischen"),
    "fr": ("commentaire", "commentaires"),
    "es": ("comentario", "comentarios"),
}
# Articles, in any case ("Von der patriarchalen ...": a sentence after "Von").
ARTICLES = {"en": ("the", "a", "an"), "de": ("der", "die", "das", "den", "dem", "des", "ein", "eine"),
            "fr": ("le", "la", "les", "un", "une"), "es": ("el", "la", "los", "las"),
            "it": ("il", "lo", "la", "gli", "le"), "nl": ("de", "het", "een")}
# Articles that begin an outlet's name, never a person's ("The Canadian Press", "Der Spiegel").
NAME_ARTICLES = {"en": ("the",), "de": ("der", "die", "das"), "fr": ("les",), "es": ("los", "las"), "it": ("il",),
                 "nl": ("het",)}
# Prefixes that also begin ordinary sentences and names ("De Gaulle", "Vom Winde
# verweht"): trusted only where the text is known to be a byline, never to tell
# that a line of running text is one.
SENTENCE_STARTS = frozenset({"de", "vom"})
BYLINE_LINE_PREFIXES = tuple(w for w in words(BYLINE_PREFIXES) if w not in SENTENCE_STARTS)

# Job titles printed after a name ("Jane Doe, Staff Writer"): they credit a role, not a person.
ROLES = {
    "en": ("associated press writer", "ap writer", "staff writer", "staff writers", "staff reporter",
           "staff reporters", "senior writer", "contributing writer", "contributor", "special correspondent",
           "foreign correspondent", "chief correspondent", "correspondent", "reporter", "senior reporter",
           "editor-at-large", "editor at large", "deputy editor", "senior editor", "managing editor",
           "political editor", "business editor", "news editor", "editor", "columnist", "photographer", "writer",
           "journalist", "analyst", "anchor", "host", "producer", "freelance writer", "guest author",
           "guest writer", "staff", "contributing opinion writer", "opinion writer", "opinion contributor",
           "contributing opinion", "freelancer", "critic"),
    "de": ("redakteur", "redakteurin", "korrespondent", "korrespondentin", "kolumnist", "kolumnistin", "autor",
           "autorin", "redaktion", "reporterin", "journalistin", "fotograf", "fotografin"),
    "fr": ("journaliste", "redacteur", "rédacteur", "rédactrice", "envoyé spécial", "envoyée spéciale",
           "envoyé spéciale", "envoyée spécial", "rédaction"),
    "it": ("redazione",),
    "es": ("redacción", "periodista", "redactor", "redactora"),
    "ko": ("기자",),
    "ja": ("記者",),
}

# --- when -----------------------------------------------------------------------
# Words that label a moment as the publication or the last change.
PUBLISHED_WORDS = {
    "en": ("published", "posted"),
    "de": ("erschienen", "veröffentlicht", "publiziert"),
    "fr": ("publié",),
    "es": ("publicado",),
    "it": ("pubblicato",),
}
UPDATED_WORDS = {
    "en": ("updated", "modified", "last edited"),
    "de": ("aktualisiert", "letzte änderung", "zuletzt geändert", "geändert am"),
    "fr": ("mis à jour",),
    "es": ("actualizado",),
    "it": ("aggiornato",),
}
# Short words that stand between such a label and the date ("on", "am", "le").
DATE_PREPOSITIONS = {"en": ("on",), "de": ("am",), "fr": ("le",)}
# The other words a date label may hold beside its date and clock ("Today at 10:30 am").
DATE_LABEL_WORDS = {
    "en": ("at", "am", "pm", "a", "m", "p", "date", "time"),
    "de": ("um", "uhr", "stand", "datum"),
    "fr": ("à", "h", "date"),
    "es": ("a", "las", "fecha"),
    "it": ("alle", "ore", "data"),
}

# Month names and the abbreviations pages use (a trailing dot is never part of one).
MONTHS = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"),
    "de": ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
           "novembro", "dezembro"),
}
MONTH_ABBREVIATIONS = {
    "en": {1: "jan", 2: "feb", 3: "mar", 4: "apr", 6: "jun", 7: "jul", 8: "aug", 9: ("sep", "sept"), 10: "oct",
           11: "nov", 12: "dec"},
    "de": {1: ("jän", "jänner"), 3: "mär", 10: "okt", 12: "dez"},
    "fr": {1: "janv", 2: ("fév", "févr"), 4: "avr", 7: "juil", 8: "aout", 12: "decembre"},
    "es": {1: "ene", 8: "ago", 12: "dic"},
    "it": {1: "genn", 2: "febr"},
    "pt": {2: "fev", 9: "set", 10: "out"},
    "no": {12: "desember"},
}
WEEKDAYS = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
           "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"),
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}


def month_numbers() -> dict[str, int]:
    """Every month name and abbreviation -> its number."""
    numbers = {name: i for names in MONTHS.values() for i, name in enumerate(names, 1)}
    for table in MONTH_ABBREVIATIONS.values():
        for month, short in table.items():
            for name in (short,) if isinstance(short, str) else short:
                numbers[name] = month
    return numbers


# --- where on the page --------------------------------------------------------------
# Words (between - _ and spaces) of class/id values that mark site furniture;
# values starting with these prefixes count too ("advertisement", "categories").
FURNITURE_CLASS_WORDS = frozenset(
    """
    nav navbar navigation menu breadcrumb breadcrumbs header masthead footer share sharing social comment
    comments commentform respond reply ad ads banner taboola outbrain tag tags taglist byline pagination
    pager newsletter subscribe login signup consent toolbar trending mostread mostpopular
    """.split()
)
FURNITURE_CLASS_PREFIXES = ("advert", "sponsor", "categor", "author", "cookie", "skip", "sidebarnav")
# Parts of class/id values (glued: "morestories", "alsoread") of blocks that offer other stories.
RELATED_CLASS_PARTS = {
    "en": ("related", "readmore", "morefrom", "morestories", "morenews", "morearticles", "moreon", "recommend",
           "alsoread", "seealso", "similar", "further"),
    "de": ("weitere", "mehrzum", "lesensie", "auchinteressant"),
    "es": ("relacionad", "tambien", "tepuede"),
    "it": ("correlat",),
    "fr": ("articleslies", "articlelies", "voiraussi"),
}
# Parts of class/id values of regions whose names and dates belong to other
# stories or to readers: comments, related lists, sidebars, footers.
ELSEWHERE_CLASS_PARTS = (
    "comment", "related", "recommend", "sidebar", "footer", "widget", "teaser", "popular", "trending",
    "more-stories", "readmore", "read-more", "newsletter", "promo", "share", "social", "nav", "menu", "breadcrumb",
    "outbrain", "taboola", "reply", "respond", "disqus", "most-read", "jp-relatedposts", "rail", "aside", "card",
    "carousel", "also",
)
# Headings of a site's sections and blocks, never a story's headline ("Our Work",
# "Categories", "Stories Chosen For You"): a title only when the page offers no other.
GENERIC_HEADINGS = {
    "en": ("our work", "categories", "category", "stories chosen for you", "news", "latest news", "top stories",
           "more stories", "recommended", "recommended for you", "trending", "most popular", "most read",
           "press releases", "press release", "menu", "main menu", "navigation", "site navigation", "search",
           "home", "archive", "archives", "blog", "latest", "newsletter", "sign up", "subscribe", "comments",
           "you may also like", "quick links", "quicklinks", "sections", "topics", "tags", "main content",
           "skip to content", "breadcrumb", "sponsored", "advertisement", "editor's picks", "popular posts",
           "recent posts", "share this", "follow us", "blog archive"),
    "de": ("nachrichten", "aktuelles", "aktuell", "pressemitteilungen", "pressemitteilung", "presse",
           "menü", "hauptmenü", "suche", "startseite", "themen", "kategorien", "kommentare", "meistgelesen",
           "weitere artikel", "quicklink", "hilfe", "hauptnavigation", "metanavigation", "hauptinhalt",
           "navigation und service", "sponsoren und partner", "neueste beiträge", "beliebte beiträge",
           "das könnte sie auch interessieren", "anzeige", "blog archiv"),
    "fr": ("actualités", "à la une", "rubriques", "catégories", "recherche", "accueil", "articles récents"),
    "es": ("noticias", "últimas noticias", "categorías", "buscar", "inicio", "lo más leído"),
    "it": ("notizie", "ultime notizie", "categorie", "cerca", "più letti"),
    "nl": ("nieuws", "laatste nieuws", "zoeken"),
}
# Headings and lines that announce links to other stories.
READ_MORE = {
    "en": ("related", "related articles", "related stories", "related news", "related content", "related posts",
           "related coverage", "related reading", "read more", "read also", "also read", "see also",
           "further reading", "what to read next", "read next", "more on this story"),
    "de": ("lesen sie auch", "lesen sie mehr", "mehr zum thema", "mehr dazu", "auch interessant",
           "das könnte sie auch interessieren", "weitere artikel"),
    "es": ("noticias relacionadas", "te puede interesar", "lee también", "leer más", "ver también",
           "artículos relacionados"),
    "fr": ("à lire aussi", "lire aussi", "voir aussi", "sur le même sujet"),
    "it": ("leggi anche", "articoli correlati"),
    "pt": ("leia também",),
    "nl": ("lees ook",),
}
# Words of a cookie banner besides "cookie": what it asks for and where ("By using
# this website you consent to..."). A line naming cookies and one of these is the banner.
COOKIE_CONSENT_WORDS = {
    "en": ("this website", "our website", "site uses", "the website", "consent", "accept", "agree",
           "browsing", "cookie policy", "cookie settings", "privacy policy", "your experience", "use of cookies"),
    "de": ("website", "webseite", "einwillig", "zustimm", "stimmen sie", "stimmst du", "akzeptier", "zulassen",
           "datenschutz", "einstellungen", "nutzung unserer"),
    "fr": ("consentement", "accepte", "site utilise", "navigation", "confidentialité"),
    "es": ("consentimiento", "acepta", "sitio web", "navegación", "privacidad"),
    "it": ("consenso", "accetta", "sito utilizza", "navigazione"),
    "nl": ("toestemming", "akkoord", "deze website"),
}

# --- what a URL is ------------------------------------------------------------------
# Path segments of pages that list stories (by tag, topic, section, author, date).
LISTING_PATHS = {
    "en": ("tag", "tags", "topic", "topics", "category", "categories", "section", "sections", "author", "authors",
           "people", "profile", "profiles", "archive", "archives", "page"),
    "de": ("themen", "thema", "kategorie", "rubrik", "autor", "autoren", "archiv"),
    "es": ("categoria",),
}
# Path segments of a writer's own page ("/author/jane-doe/").
AUTHOR_PATHS = ("author", "authors", "autor", "autoren", "auteur", "journalist", "reporter", "staff", "bios",
                "profile", "people")
# Pages about the site itself (whole path segments or slugs): never stories.
SITE_PAGES = {
    "en": ("about", "about-us", "contact", "contact-us", "imprint", "privacy", "privacy-policy", "terms",
           "terms-of-use", "terms-of-service", "legal", "cookie", "cookies", "faq", "help", "login", "signin",
           "register", "subscribe", "newsletter", "careers", "jobs", "advertise", "search", "sitemap"),
    "de": ("impressum", "datenschutz", "agb", "ueber-uns", "uber-uns", "kontakt"),
    "fr": ("a-propos", "qui-sommes-nous"),
}

# --- when the story is not there ---------------------------------------------------
# What a "page not found" page says in its title or headline (a soft 404: answered
# with 200), or what a page says once a story was taken down.
NOT_FOUND = {
    "*": ("error 404", "404 error", "404 not found", "404"),
    "en": ("page not found", "not found", "page cannot be found", "page can't be found", "page could not be found",
           "this page does not exist", "this page doesn't exist", "page does not exist", "page doesn't exist",
           "we couldn't find that page", "we can't find that page", "we can't find the page",
           "sorry, we couldn't find", "the page you requested could not be found", "no longer available",
           "this article has been removed", "this story has been removed", "this article is no longer available",
           "content not found", "article not found", "story not found", "the page you requested",
           "we can't find", "we couldn't find"),
    "de": ("seite nicht gefunden", "diese seite existiert nicht", "seite existiert nicht", "nicht gefunden",
           "artikel nicht gefunden", "nicht mehr verfügbar", "existiert nicht"),
    "fr": ("page introuvable", "page non trouvée", "cette page n'existe pas", "article introuvable",
           "n'est plus disponible", "n'existe pas"),
    "es": ("página no encontrada", "pagina no encontrada", "esta página no existe", "no encontrado",
           "ya no está disponible"),
    "it": ("pagina non trovata", "pagina non esistente", "non più disponibile"),
    "pt": ("página não encontrada",),
    "nl": ("pagina niet gevonden",),
}

# --- what stands between a reader and the article ---------------------------------
# Parts of class/id values of paywall and registration-wall markup (glued: "paywall-overlay" -> "paywalloverlay").
PAYWALL_CLASS_PARTS = ("paywall", "meteredcontent", "subscriberonly", "subscribersonly", "premiumcontent",
                       "articlelocked", "lockedcontent", "tpmodal", "pianoinline", "plusabo", "abowall")
REGISTRATION_CLASS_PARTS = ("regwall", "registrationwall", "loginwall", "signinwall")
# What a paywall or a registration wall says where the article stops.
PAYWALL_WORDS = {
    "en": ("subscribe to continue reading", "subscribe to read", "this article is for subscribers",
           "already a subscriber", "subscribers only", "exclusive to subscribers", "to continue reading, subscribe"),
    "de": ("jetzt abonnieren und weiterlesen", "nur für abonnenten", "bereits abonnent", "weiterlesen mit plus",
           "dieser artikel ist exklusiv für abonnenten"),
    "fr": ("réservé aux abonnés", "abonnez-vous pour lire", "déjà abonné"),
    "es": ("exclusivo para suscriptores", "suscríbete para seguir leyendo", "ya eres suscriptor"),
}
REGISTRATION_WORDS = {
    "en": ("register to continue reading", "create a free account", "register for free to continue",
           "sign up for free to continue", "log in to continue reading", "sign in to continue reading"),
    "de": ("kostenlos registrieren und weiterlesen", "registrieren sie sich kostenlos"),
    "fr": ("inscrivez-vous gratuitement pour lire", "créez un compte gratuit"),
    "es": ("regístrate gratis para seguir leyendo", "crea una cuenta gratuita"),
}
# A page that shows only a consent form until the reader agrees.
CONSENT_WALL_WORDS = {
    "en": ("accept cookies to continue", "we and our partners", "manage your privacy settings",
           "consent to the use of cookies", "to continue, please accept", "accept all cookies", "your privacy choices"),
    "de": ("wir und unsere partner", "alle akzeptieren", "mit werbung lesen", "zustimmen und weiter",
           "ihre einwilligung"),
    "fr": ("nous et nos partenaires", "accepter et continuer", "tout accepter", "vos choix de confidentialité"),
    "es": ("nosotros y nuestros socios", "aceptar y continuar", "aceptar todas"),
}
# Bot-protection interstitials ("Just a moment..."): their words, and markers in their HTML.
CHALLENGE_WORDS = {
    "en": ("just a moment", "checking your browser", "verify you are human", "verifying you are human",
           "attention required", "are you a robot", "pardon our interruption", "please complete the security check",
           "ddos protection by"),
    "de": ("einen moment bitte", "überprüfung ihres browsers", "sind sie ein mensch"),
    "fr": ("un instant", "vérification de votre navigateur", "êtes-vous un robot"),
    "es": ("un momento", "comprobando tu navegador", "eres un robot"),
}
CHALLENGE_MARKERS = ("/cdn-cgi/challenge-platform", "cf-browser-verification", "cf_chl_opt", "_incapsula_resource",
                     "px-captcha", "captcha-delivery.com")
# A page that asks for JavaScript before it shows its text.
JS_REQUIRED_WORDS = {
    "en": ("enable javascript", "javascript is required", "javascript is disabled", "turn on javascript"),
    "de": ("javascript aktivieren", "aktivieren sie javascript"),
    "fr": ("activer javascript", "activez javascript"),
    "es": ("habilita javascript", "activa javascript"),
}

# --- wire copy ------------------------------------------------------------------
# News agencies whose credit marks a story as wire copy (syndication.py): the name a
# credit is reported under, the names and abbreviations pages credit it with (in a
# byline, a dateline "WASHINGTON (AP) —", a closing line), and the agency's own sites.
WIRE_AGENCIES = {
    "Associated Press": {"names": ("associated press",), "short": ("ap",), "hosts": ("apnews.com", "ap.org")},
    "Reuters": {"names": ("reuters",), "short": (), "hosts": ("reuters.com",)},
    "Agence France-Presse": {"names": ("agence france-presse", "agence france presse"), "short": ("afp",),
                             "hosts": ("afp.com",)},
    "Voice of America": {"names": ("voice of america",), "short": ("voa",), "hosts": ("voanews.com",)},
    "dpa": {"names": ("deutsche presse-agentur",), "short": ("dpa",), "hosts": ("dpa.com",)},
    "United Press International": {"names": ("united press international",), "short": ("upi",),
                                   "hosts": ("upi.com",)},
    "Xinhua": {"names": ("xinhua",), "short": (), "hosts": ("xinhuanet.com", "news.cn")},
    "Kyodo": {"names": ("kyodo news",), "short": (), "hosts": ("kyodonews.net",)},
    "EFE": {"names": ("agencia efe",), "short": ("efe",), "hosts": ("efe.com",)},
    "ANSA": {"names": ("agenzia ansa",), "short": ("ansa",), "hosts": ("ansa.it",)},
}
