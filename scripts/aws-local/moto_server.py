"""moto server for the project's tests, on 127.0.0.1 and a port the system picks.

It prints `ready <port>` once it listens, and exits when its standard input closes: a test
process that starts it and dies, however it dies, takes the server with it.

With `--lambda-port`, Lambda invocations (moto cannot run functions without docker) go to
`cargo lambda watch` on that port, answered as Lambda answers; Step Functions executions run.

Two changes to how moto serves, neither to what it answers:

Requests are served one at a time. moto applies a DynamoDB transaction's conditions and writes
in plain Python with no lock of its own, so two requests served at once could interleave inside
one transaction, which DynamoDB never does; serving them in turn keeps its promise. Clients
still interleave between requests, which is the concurrency the tests are about.

A transaction backs up only the items it names. moto backs up every table a transaction touches,
whole, once per item it names, to roll back a cancelled one; so each transaction costs time in
proportion to the tables, and a run of a few hundred checkouts slows to a crawl. Backing up the
named items (the only ones a transaction can change) and restoring them on cancellation rolls back
exactly as before.
"""

import argparse
import http.client
import os
import re
import sys
import threading
import urllib.parse

from moto.core.config import default_user_config

default_user_config["stepfunctions"] = {"execute_state_machine": True}
default_user_config["lambda"] = {"use_docker": False}

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402
import copy  # noqa: E402

import moto.dynamodb.models as dynamodb_models  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402


class _TablesNotCopied:
    """moto's `copy` module, except that a deep copy of a whole table is the table itself."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name):
        return getattr(copy, name)


def _key_of(backend, op):
    if "Key" in op:
        return op["Key"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def _backing_up_named_items(transact_write_items):
    def wrapped(self, transact_items):
        backups = []
        try:
            for entry in transact_items:
                _, op = next(iter(entry.items()))
                key = _key_of(self, op)
                current = self.get_item(op["TableName"], key)
                backups.append((op["TableName"], key, None if current is None else current.to_json()["Attributes"]))
        except Exception:
            # A malformed transaction or a missing table: moto's own code says so.
            backups = []
        try:
            return transact_write_items(self, transact_items)
        except Exception:
            for table_name, key, attributes in reversed(backups):
                if attributes is None:
                    if self.get_item(table_name, key) is not None:
                        self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise

    return wrapped


dynamodb_models.copy = _TablesNotCopied()
dynamodb_models.DynamoDBBackend.transact_write_items = _backing_up_named_items(
    dynamodb_models.DynamoDBBackend.transact_write_items
)


INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations")


def _invoke(lambda_port, function, environ, start_response):
    """A Lambda invocation, sent to `cargo lambda watch` as real Lambda would run it: a function
    error comes back as 200 with X-Amz-Function-Error (watch says 500)."""
    if function.startswith("arn:"):  # arn:aws:lambda:region:account:function:name[:qualifier]
        function = function.split(":")[6]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b"{}"
    connection = http.client.HTTPConnection("127.0.0.1", lambda_port, timeout=900)
    connection.request("POST", f"/2015-03-31/functions/{function}/invocations", body=body,
                       headers={"Content-Type": "application/json"})
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
    status = "200 OK"
    if answer.status == 500:
        headers.append(("X-Amz-Function-Error", "Unhandled"))
    elif answer.status != 200:
        status = f"{answer.status} {answer.reason}"
    start_response(status, headers + [("Content-Length", str(len(data)))])
    return [data]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lambda-port", type=int, help="where `cargo lambda watch` serves the functions")
    options = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ, start_response):
        invoke = INVOKE.match(environ.get("PATH_INFO", ""))
        if invoke and options.lambda_port and environ.get("REQUEST_METHOD") == "POST":
            # Not under the lock: the function calls back into this server.
            return _invoke(options.lambda_port, urllib.parse.unquote(invoke.group(1)), environ, start_response)
        with one_at_a_time:
            # The whole body is produced under the lock, not only the first chunk.
            return list(app(environ, start_response))

    server = make_server("127.0.0.1", 0, serialized, threaded=True, request_handler=MotoRequestHandler)
    # moto's Step Functions interpreter calls services (Lambda, SQS) at localhost:MOTO_PORT: here.
    os.environ["MOTO_PORT"] = str(server.server_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ready {server.server_port}", flush=True)
    # The starter reads that one line and may close the pipe: nothing more goes to it.
    sys.stdout = open(os.devnull, "w")
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
