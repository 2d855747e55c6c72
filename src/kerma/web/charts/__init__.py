"""Charts drawn as SVG on the server: fast, no script needed to see them, downloadable as they are."""
