# locust patches the standard library with gevent when imported: the profile must never be
# imported into the pytest process, only run as a subprocess.
collect_ignore = ["locustfile.py"]
