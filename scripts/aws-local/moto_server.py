"""moto server for the project's tests, on 127.0.0.1 and a port the system picks.

It prints `ready <port>` once it listens, and exits when its standard input closes: a test
process that starts it and dies, however it dies, takes the server with it.

With `--lambda-port`, Lambda invocations (moto cannot run functions without docker) go to
`cargo lambda watch` on that port, answered as Lambda answers, or with `--function-port NAME=PORT`
to a watch of that function's own (one that runs with that function's credentials); Step
Functions executions run.

Three things moto lacks, added as AWS does them:

A CloudFormation state machine may take its definition from S3 (`DefinitionS3Location`, what
`sam package` makes of `DefinitionUri`) and fill in `DefinitionSubstitutions`; moto reads only
`DefinitionString`, unsubstituted.

An SQS event source mapping is served by a poller, as Lambda's is: it receives a batch, invokes
the function outside any lock, and deletes what the function handled, which under
`ReportBatchItemFailures` is every record not named in the answer's `batchItemFailures`; the rest
are delivered again when their visibility timeout ends, and dead-lettered by the queue's redrive
policy. moto invokes the function inside `SendMessage` (where a function that calls back into
this server would wait for itself) and deletes the whole batch whatever the function answers.

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
import hashlib
import http.client
import json
import os
import random
import re
import sys
import threading
import time
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


from moto.awslambda_simple.models import lambda_simple_backends  # noqa: E402
from moto.s3.models import s3_backends  # noqa: E402
from moto.sqs import models as sqs_models  # noqa: E402
from moto.stepfunctions.models import StateMachine  # noqa: E402

from moto.core.common_models import CloudFormationModel  # noqa: E402
from moto.stepfunctions.parser.models import StepFunctionsParserBackend, stepfunctions_parser_backends  # noqa: E402
from moto.stepfunctions.utils import cfn_to_api_tags  # noqa: E402


def _state_machine_from_s3_with_substitutions(cls, resource_name, cloudformation_json, account_id, region_name,
                                              **kwargs):
    properties = cloudformation_json["Properties"]
    definition = properties.get("DefinitionString", "")
    location = properties.get("DefinitionS3Location")
    if location:
        definition = s3_backends[account_id]["aws"].get_object(location["Bucket"], location["Key"]).value.decode()
    for name, value in (properties.get("DefinitionSubstitutions") or {}).items():
        definition = definition.replace("${" + name + "}", str(value))
    # Created where executions run: moto's CloudFormation puts state machines in the backend
    # that does not execute them.
    backend = stepfunctions_parser_backends[account_id][region_name]
    tags = cfn_to_api_tags(properties.get("Tags", []))
    return backend.create_state_machine(properties.get("StateMachineName", resource_name), definition,
                                        properties.get("RoleArn", ""), tags=tags)


StateMachine.create_from_cloudformation_json = classmethod(_state_machine_from_s3_with_substitutions)

# A state machine's revision (what a version publishes) is its definition: a new definition, a
# new revision.
_has_cfn_attr = StateMachine.has_cfn_attr.__func__
_get_cfn_attribute = StateMachine.get_cfn_attribute
StateMachine.has_cfn_attr = classmethod(lambda cls, attr: attr in ("StateMachineRevisionId", "Arn")
                                        or _has_cfn_attr(cls, attr))


def _state_machine_attribute(self, name):
    if name == "StateMachineRevisionId":
        return hashlib.sha256(self.definition.encode()).hexdigest()[:32]
    if name == "Arn":
        return self.arn
    return _get_cfn_attribute(self, name)


StateMachine.get_cfn_attribute = _state_machine_attribute


class _KnownByArn:
    """A resource CloudFormation refers to by its ARN (its Ref)."""

    # moto's models name their service by their module.
    __module__ = "moto.stepfunctions.models"

    def __init__(self, arn):
        self.arn = arn

    @property
    def physical_resource_id(self):
        return self.arn


# Each lists CloudFormationModel among its own bases: moto finds resource types among its direct
# subclasses only.
class _PublishedVersion(_KnownByArn, CloudFormationModel):
    """`AWS::StepFunctions::StateMachineVersion`: publishes the machine's definition as it now
    is; the new version's ARN is its Ref."""

    __module__ = "moto.stepfunctions.models"

    @staticmethod
    def cloudformation_type():
        return "AWS::StepFunctions::StateMachineVersion"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        machine = stepfunctions_parser_backends[account_id][region_name].describe_state_machine(
            properties["StateMachineArn"])
        machine.publish(properties.get("Description"))
        return cls(machine.latest_version.arn)


class _Alias(_KnownByArn, CloudFormationModel):
    """`AWS::StepFunctions::StateMachineAlias`: routes the executions started through it to the
    version its `DeploymentPreference` (all at once) or `RoutingConfiguration` names."""

    __module__ = "moto.stepfunctions.models"

    @staticmethod
    def cloudformation_type():
        return "AWS::StepFunctions::StateMachineAlias"

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @classmethod
    def _routing(cls, properties):
        routes = properties.get("RoutingConfiguration")
        if routes:
            return [{"stateMachineVersionArn": r["StateMachineVersionArn"], "weight": int(r["Weight"])} for r in routes]
        return [{"stateMachineVersionArn": properties["DeploymentPreference"]["StateMachineVersionArn"], "weight": 100}]

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        backend = stepfunctions_parser_backends[account_id][region_name]
        alias = backend.create_state_machine_alias(properties["Name"], cls._routing(properties),
                                                   properties.get("Description"))
        return cls(alias.arn)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                        region_name):
        backend = stepfunctions_parser_backends[account_id][region_name]
        backend.update_state_machine_alias(original_resource.arn, None,
                                           cls._routing(cloudformation_json["Properties"]))
        return original_resource




def _starting_through_aliases(start_execution):
    """moto's StartExecution runs a machine's current definition, and fails on a version's ARN;
    here an alias's ARN is resolved to the version it routes to (by weight), and a version's
    execution runs on its machine with the version's definition (the execution keeps a copy of
    the definition it started with, as on AWS: an update does not reach it)."""

    def wrapped(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        parts = state_machine_arn.split(":")
        if len(parts) == 8 and not parts[7].isdigit():
            routes = self.describe_state_machine_alias(state_machine_arn).routing_configuration
            pick = random.uniform(0, sum(int(r["weight"]) for r in routes))
            for route in routes:
                pick -= int(route["weight"])
                if pick <= 0:
                    break
            parts = route["stateMachineVersionArn"].split(":")
        machine = self.describe_state_machine(":".join(parts[:7]))
        if len(parts) == 8:
            current = machine.definition
            machine.definition = machine.versions[int(parts[7])].definition
            try:
                return start_execution(self, machine.arn, name, execution_input, trace_header)
            finally:
                machine.definition = current
        return start_execution(self, machine.arn, name, execution_input, trace_header)

    return wrapped


StepFunctionsParserBackend.start_execution = _starting_through_aliases(StepFunctionsParserBackend.start_execution)


class _PolledEventSources(dict):
    """A queue's event source mappings, kept for moto's bookkeeping but not invoked by its
    `add_message` (which reads them with `items()`): the poller below serves them."""

    def items(self):
        return iter(())


_queue_init = sqs_models.Queue.__init__


def _queue_polled_by_event_sources(self, *args, **kwargs):
    _queue_init(self, *args, **kwargs)
    self.lambda_event_source_mappings = _PolledEventSources()


sqs_models.Queue.__init__ = _queue_polled_by_event_sources


INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations")


class Functions:
    """Where each function is served: `cargo lambda watch` on a port of its own, or the shared one."""

    def __init__(self, default_port, ports):
        self.default_port = default_port
        self.ports = ports

    def serves(self):
        return self.default_port is not None or bool(self.ports)

    def call(self, function, body):
        """Invokes `function` (a name or an ARN) with `body`; answers (HTTP status, reason, whether
        the function failed, its answer)."""
        if function.startswith("arn:"):  # arn:aws:lambda:region:account:function:name[:qualifier]
            function = function.split(":")[6]
        port = self.ports.get(function, self.default_port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        connection.request("POST", f"/2015-03-31/functions/{function}/invocations", body=body,
                           headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        data = answer.read()
        connection.close()
        # watch answers a function error with 500; Lambda with 200 and X-Amz-Function-Error.
        return answer.status, answer.reason, answer.status == 500, data


def _invoke(functions, function, environ, start_response):
    """A Lambda invocation, answered as real Lambda answers it."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b"{}"
    status, reason, failed, data = functions.call(function, body)
    headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
    if failed:
        headers.append(("X-Amz-Function-Error", "Unhandled"))
        status, reason = 200, "OK"
    start_response(f"{status} {reason}", headers + [("Content-Length", str(len(data)))])
    return [data]


def _record(message, queue):
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {
            "ApproximateReceiveCount": str(message.approximate_receive_count),
            "SentTimestamp": str(message.sent_timestamp),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
        },
        "messageAttributes": {},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": queue.region,
    }


def _deliver_batch(one_at_a_time, functions, sqs, queue, mapping, messages):
    """Invokes the mapping's function with one batch and deletes what it handled."""
    event = json.dumps({"Records": [_record(message, queue) for message in messages]}).encode()
    try:
        status, _, failed, data = functions.call(mapping.function_arn, event)
    except OSError:
        status, failed, data = 0, True, b""
    unhandled = {message.id for message in messages}
    if status == 200 and not failed:
        unhandled = set()
        if "ReportBatchItemFailures" in (mapping.function_response_types or []):
            try:
                answer = json.loads(data or b"{}") or {}
                unhandled = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures") or []}
            except (ValueError, TypeError, KeyError, AttributeError):
                # An answer Lambda cannot read fails the whole batch.
                unhandled = {message.id for message in messages}
    with one_at_a_time:
        for message in messages:
            if message.id not in unhandled:
                sqs.delete_message(queue.name, message.receipt_handle)


def _poll_event_sources(one_at_a_time, functions):
    """Lambda's SQS pollers: every enabled mapping of a queue is polled every 100 ms, and each
    batch is delivered on a thread of its own, as Lambda invokes batches concurrently."""
    while True:
        time.sleep(0.1)
        due = []
        with one_at_a_time:
            # The backend moto keeps functions in when it runs none (`use_docker` off).
            for account_id, region, backend in list(lambda_simple_backends.iter_backends()):
                for mapping in list(backend._event_source_mappings.values()):
                    if not mapping.enabled or ":sqs:" not in mapping.event_source_arn:
                        continue
                    sqs = sqs_models.sqs_backends[account_id][region]
                    queue = sqs.get_queue(mapping.event_source_arn.split(":")[-1])
                    messages = sqs.receive_message(queue.name, mapping.batch_size or 10, 0,
                                                   int(queue.visibility_timeout))
                    if messages:
                        due.append((sqs, queue, mapping, messages))
        for batch in due:
            threading.Thread(target=_deliver_batch, args=(one_at_a_time, functions, *batch), daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lambda-port", type=int, help="where `cargo lambda watch` serves the functions")
    parser.add_argument("--function-port", action="append", default=[], metavar="NAME=PORT",
                        help="where `cargo lambda watch` serves function NAME (before --lambda-port)")
    options = parser.parse_args()
    ports = {}
    for pair in options.function_port:
        name, _, port = pair.partition("=")
        ports[name] = int(port)
    functions = Functions(options.lambda_port, ports)
    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()
    if functions.serves():
        threading.Thread(target=_poll_event_sources, args=(one_at_a_time, functions), daemon=True).start()

    def serialized(environ, start_response):
        invoke = INVOKE.match(environ.get("PATH_INFO", ""))
        if invoke and functions.serves() and environ.get("REQUEST_METHOD") == "POST":
            # Not under the lock: the function calls back into this server.
            return _invoke(functions, urllib.parse.unquote(invoke.group(1)), environ, start_response)
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
