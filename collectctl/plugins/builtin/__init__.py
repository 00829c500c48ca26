"""Built-in plugins, registered through the ``collectctl`` entry-point group like any other."""
