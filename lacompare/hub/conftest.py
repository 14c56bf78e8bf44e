# Doctests: the Django modules of the hub need configured settings and a database to
# import, so pytest's --doctest-modules skips them; tests/hub covers them. The modules
# without Django (definition, returns_file, settings) are doctested as usual.
collect_ignore_glob = ["returns/*", "urls.py", "wsgi.py"]
