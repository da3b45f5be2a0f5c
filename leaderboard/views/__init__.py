"""The app's pages, one small module each; every page is a ``render(ctx)`` function."""
