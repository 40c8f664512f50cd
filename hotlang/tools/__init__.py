"""Tools over a loaded program: the ``hot`` language CLI, the static checker and the test runner."""
