"""Pages between a reader and the article (paywalls, walls, challenges, soft 404s,
script-only pages) and articles in German, French and Spanish with wrong or
missing lang attributes; written for the tests."""

from __future__ import annotations

import json
from html import escape

from tests.support.pages import article_html, html_page, paragraphs
from tests.support.server import Page

GERMAN = [
    "Der Stadtrat hat am Dienstagabend nach einer langen und teilweise hitzigen Debatte den neuen Haushalt "
    "für das kommende Jahr beschlossen, der deutlich höhere Ausgaben für Schulen und den öffentlichen "
    "Nahverkehr vorsieht.",
    "Die Bürgermeisterin sagte, die Stadt werde die endgültigen Zahlen in der nächsten Woche veröffentlichen, "
    "während viele Anwohner mehr Zeit forderten, um den Plan in Ruhe zu prüfen und ihre Einwände vorzubringen.",
    "Vertreter der Opposition kritisierten vor allem die geplante Erhöhung der Grundsteuer und warnten davor, "
    "dass kleine Betriebe in der Innenstadt unter den zusätzlichen Kosten leiden könnten.",
    "Die Verwaltung versprach weitere Anhörungen im Frühjahr, bei denen auch die Vereine und die Kirchengemeinden "
    "ihre Vorschläge einbringen können, bevor die ersten Bauarbeiten beginnen.",
]
FRENCH = [
    "Le conseil municipal a adopté mardi soir, après un long débat parfois tendu, le nouveau budget de la ville "
    "pour l'année prochaine, qui prévoit une forte hausse des dépenses pour les écoles et les transports publics.",
    "La maire a déclaré que la ville publierait les chiffres définitifs la semaine prochaine, tandis que de "
    "nombreux habitants demandaient davantage de temps pour examiner le projet et présenter leurs objections.",
    "Les élus de l'opposition ont surtout critiqué la hausse prévue de la taxe foncière et ont averti que les "
    "petits commerces du centre-ville pourraient souffrir de ces coûts supplémentaires.",
    "L'administration a promis de nouvelles consultations au printemps, au cours desquelles les associations "
    "pourront elles aussi faire leurs propositions avant le début des premiers travaux.",
]
SPANISH = [
    "El ayuntamiento aprobó el martes por la noche, tras un largo debate a veces tenso, el nuevo presupuesto de "
    "la ciudad para el próximo año, que prevé un fuerte aumento del gasto en escuelas y transporte público.",
    "La alcaldesa dijo que la ciudad publicaría las cifras definitivas la próxima semana, mientras muchos vecinos "
    "pedían más tiempo para estudiar el plan y presentar sus objeciones.",
    "Los concejales de la oposición criticaron sobre todo la subida prevista del impuesto sobre bienes inmuebles "
    "y advirtieron de que los pequeños comercios del centro podrían sufrir por estos costes adicionales.",
    "La administración prometió nuevas consultas en primavera, en las que también las asociaciones podrán "
    "presentar sus propuestas antes de que empiecen las primeras obras.",
]
# The cookie a subscriber's browser sends; the paywalled fixture shows its full text only with it.
SUBSCRIBER_COOKIE = ("session", "subscriber-7f3a")


def _article(n: int, body: list[str], *, lang: str | None, ld_extra: dict | None = None,
             title: str | None = None, extra_html: str = "") -> str:
    html = article_html(n, title=title, body=body)
    if lang is None:
        html = html.replace('<html lang="en">', "<html>")
    else:
        html = html.replace('<html lang="en">', f'<html lang="{lang}">')
    if ld_extra:
        stated = json.dumps(ld_extra)[1:-1]
        html = html.replace('"@type": "NewsArticle", ', f'"@type": "NewsArticle", {stated}, ', 1)
    return html.replace("</article>", f"{extra_html}</article>")


def paywalled(full: bool) -> str:
    """A story whose JSON-LD says it is not free: a two-paragraph teaser and a paywall, or all of it."""
    body = paragraphs(40, 12)
    declared = sum(len(p.split()) for p in body)
    wall = ('<div class="paywall-overlay"><p>Subscribe to continue reading. Already a subscriber? '
            'Log in.</p></div>')
    return _article(40, body if full else body[:2], lang="en", title="Council approves the budget",
                    ld_extra={"isAccessibleForFree": False, "wordCount": declared},
                    extra_html="" if full else wall)


def paywall_handler(handler) -> None:
    """The paywalled story: the full text for a request carrying the subscriber's cookie."""
    from tests.support.server import send_page

    name, value = SUBSCRIBER_COOKIE
    full = f"{name}={value}" in (handler.headers.get("Cookie") or "")
    send_page(handler, html_page(paywalled(full), **({} if full else {"Set-Cookie": "visitor=anon-1; Path=/"})))


CONSENT_WALL = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Stadtrat beschliesst Haushalt</title>
<meta property="og:type" content="article"></head><body>
<div class="consent-layer"><h1>Wir und unsere Partner brauchen Ihre Zustimmung</h1>
<p>Wir verwenden Cookies und ähnliche Technologien, um Inhalte und Werbung zu personalisieren.
Mit Klick auf "Alle akzeptieren" stimmen Sie der Verarbeitung zu. Ohne Zustimmung können Sie mit Werbung lesen
oder ein Abo abschließen, um ohne Tracking weiterzulesen und die Zeitung zu unterstützen.</p>
<button>Alle akzeptieren</button> <button>Einstellungen</button></div></body></html>"""

CHALLENGE = """<!doctype html><html lang="en-US"><head><title>Just a moment...</title>
<meta name="robots" content="noindex,nofollow"></head><body>
<div class="main-wrapper"><h1>example.org</h1><h2>Verifying you are human. This may take a few seconds.</h2>
<p>example.org needs to review the security of your connection before proceeding.</p></div>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script></body></html>"""

SOFT_404 = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page not found | Fixture Gazette</title>
<meta property="og:type" content="article"></head><body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a></nav></header>
<main><h1>Sorry, we couldn't find that page</h1>
<p>The story you were looking for may have been moved or removed. Try searching the archive, or read our
latest news on the home page, where the newsroom publishes the stories of the day as they happen.</p>
<ul><li><a href="/news/story-1.html">Council debates the budget</a></li></ul></main></body></html>"""


def script_only() -> str:
    """A JavaScript app's page: the story only in the state its script renders from."""
    state = {"props": {"pageProps": {"article": {"headline": "Council approves the budget",
                                                 "body": " ".join(paragraphs(41, 8))}}}}
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Council approves the budget | Fixture Gazette</title><meta property="og:type" content="article">
</head><body><div id="__next"></div>
<noscript>You need to enable JavaScript to run this app.</noscript>
<script id="__NEXT_DATA__" type="application/json">{escape(json.dumps(state), quote=False)}</script>
</body></html>"""


def wall_site() -> dict[str, Page]:
    """Every access status once, and three languages with wrong or missing lang attributes."""
    return {
        "/news/free.html": html_page(article_html(39)),
        "/news/paywalled.html": paywall_handler,
        "/news/consent.html": html_page(CONSENT_WALL),
        "/news/challenge.html": html_page(CHALLENGE),
        "/news/gone.html": html_page(SOFT_404),
        "/news/app.html": html_page(script_only()),
        # German marked as English, French with no lang at all, Spanish marked as French.
        "/news/de.html": html_page(_article(42, GERMAN, lang="en", title="Stadtrat beschließt den Haushalt")),
        "/news/fr.html": html_page(_article(43, FRENCH, lang=None, title="Le conseil adopte le budget")),
        "/news/es.html": html_page(_article(44, SPANISH, lang="fr", title="El ayuntamiento aprueba el presupuesto")),
        # Too short to tell: the declared language stands.
        "/news/short-de.html": html_page(_article(45, ["Der Rat tagt morgen wieder im Rathaus, sagte die "
                                                       "Sprecherin der Stadt am Abend.", "Bis dahin bleibt "
                                                       "das Amt geschlossen, auch am Freitag und am Samstag."],
                                                  lang="de", title="Rat tagt morgen")),
    }
