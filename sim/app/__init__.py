"""The workshop page: the page (``page``), its model (``workshop``), charts and server."""
