"""ministack for the project's tests, with what it lacks added as AWS does it.

`SendTaskSuccess`, `SendTaskFailure` and `SendTaskHeartbeat` name only a task token, yet AWS
authorizes them against the state machine whose execution issued the token (so a worker's role
may be scoped to one state machine, as the template's courier role is). ministack evaluates them
against `*`, which no statement scoped to a state machine matches. Here each callback token is
remembered with its execution's state machine, and the three calls are authorized against it.

ministack's CloudFormation creates no `AWS::StepFunctions::StateMachineVersion` or
`StateMachineAlias` (what SAM makes of `AutoPublishAlias`), though its API publishes versions and
routes aliases: here those two resource types are provisioned through that API.

Run as `ministack_server.py`, with ministack's own settings in the environment (see
crates/checkout-aws/src/ministack.rs).
"""

import json
import sys

import ministack.core.iam_actions as iam_actions
import ministack.services.cloudformation.provisioners as provisioners
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


def _answer(handler, request):
    """What one of ministack's Step Functions API handlers answers `request`, or its error."""
    status, _headers, body = handler(request)
    answer = json.loads(body or b"{}")
    if status >= 300:
        raise ValueError(f"{answer.get('__type', status)}: {answer.get('message', '')}")
    return answer


def _version_create(logical_id, props, stack_name):
    request = {"stateMachineArn": props["StateMachineArn"], "description": props.get("Description", "")}
    return _answer(stepfunctions._publish_state_machine_version, request)["stateMachineVersionArn"], {}


def _alias_routing(props):
    routes = props.get("RoutingConfiguration")
    if routes:
        return [{"stateMachineVersionArn": r["StateMachineVersionArn"], "weight": int(r["Weight"])} for r in routes]
    return [{"stateMachineVersionArn": props["DeploymentPreference"]["StateMachineVersionArn"], "weight": 100}]


def _alias_create(logical_id, props, stack_name):
    request = {"name": props["Name"], "routingConfiguration": _alias_routing(props),
               "description": props.get("Description", "")}
    return _answer(stepfunctions._create_state_machine_alias, request)["stateMachineAliasArn"], {}


def _alias_update(physical_id, props, *args, **kwargs):
    request = {"stateMachineAliasArn": physical_id, "routingConfiguration": _alias_routing(props)}
    _answer(stepfunctions._update_state_machine_alias, request)
    return physical_id, {}


def _kept(physical_id, props):
    # A deleted stack leaves its versions and aliases to the machine's own deletion.
    return None


provisioners._RESOURCE_HANDLERS["AWS::StepFunctions::StateMachineVersion"] = {
    "create": _version_create, "delete": _kept}
provisioners._RESOURCE_HANDLERS["AWS::StepFunctions::StateMachineAlias"] = {
    "create": _alias_create, "update": _alias_update, "delete": _kept}

if __name__ == "__main__":
    sys.argv = sys.argv[:1]
    sys.exit(main())
