"""Pages into the archive from elsewhere than a crawl: web archive files (WARC, ARC,
WACZ) and the archive's own stored responses, extracted again. Written through the
crawl's writer, extracted in its worker pool."""
