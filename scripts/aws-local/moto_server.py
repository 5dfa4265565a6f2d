"""moto server for the project's tests, on 127.0.0.1 and a port the system picks.

It prints `ready <port>` once it listens, and exits when its standard input closes: a test
process that starts it and dies, however it dies, takes the server with it.

Requests are served one at a time. moto applies a DynamoDB transaction's conditions and writes
in plain Python with no lock of its own, so two requests served at once could interleave inside
one transaction, which DynamoDB never does; serving them in turn keeps its promise. Clients
still interleave between requests, which is the concurrency the tests are about.
"""

import sys
import threading

from moto.core.config import default_user_config

default_user_config["stepfunctions"] = {"execute_state_machine": True}
default_user_config["lambda"] = {"use_docker": False}

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402


def main() -> None:
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ, start_response):
        with one_at_a_time:
            # The whole body is produced under the lock, not only the first chunk.
            return list(app(environ, start_response))

    server = make_server("127.0.0.1", 0, serialized, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready {server.server_port}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
