"""ministack for the project's tests, with one thing it lacks added as AWS does it.

`SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` name only a task token, yet AWS
authorizes them against the state machine whose execution issued the token (so a worker's role
may be scoped to one state machine, as the template's courier role is). ministack evaluates them
against `*`, which no statement scoped to a state machine matches. Here each callback token is
remembered with its execution's state machine, and the three calls are authorized against it.

Run as `ministack_server.py`, with ministack's own settings in the environment (see
crates/checkout-aws/src/ministack.rs).
"""

import json
import sys

import ministack.core.iam_actions as iam_actions
import ministack.services.stepfunctions as stepfunctions
from ministack.app import main

_state_machine_of_token = {}
_invoke_with_callback = stepfunctions._invoke_with_callback


def _remembering_the_state_machine(resource, input_data, token, state_def):
    # The caller's `ctx` is the execution's context object ($$), which names its state machine.
    ctx = sys._getframe(1).f_locals.get("ctx") or {}
    machine = (ctx.get("StateMachine") or {}).get("Id")
    if machine:
        _state_machine_of_token[token] = machine
    return _invoke_with_callback(resource, input_data, token, state_def)


stepfunctions._invoke_with_callback = _remembering_the_state_machine

_extract_resource_arn = iam_actions.extract_resource_arn


def _callbacks_against_their_state_machine(service, method, path, headers, body, query_params, region, account_id):
    arn = _extract_resource_arn(service, method, path, headers, body, query_params, region, account_id)
    if service == "states" and arn == "*":
        try:
            token = json.loads(body or b"{}").get("taskToken")
        except (ValueError, AttributeError):
            token = None
        if token in _state_machine_of_token:
            return _state_machine_of_token[token]
    return arn


iam_actions.extract_resource_arn = _callbacks_against_their_state_machine

if __name__ == "__main__":
    sys.argv = sys.argv[:1]
    sys.exit(main())
