"""collectctl's plugin system: hook specifications, the plugin manager, built-in plugins.

Quick start for plugin authors (the full guide is docs/plugins.md)::

    # my_plugin.py
    import collectctl

    @collectctl.hookimpl
    def register_sources(register):
        register(collectctl.Source(name="mybooks", read=read, help="Books from MyBooks."))

    # pyproject.toml
    [project.entry-points.collectctl]
    mybooks = "my_plugin"
"""
