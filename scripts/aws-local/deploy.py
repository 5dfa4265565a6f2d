"""Deploys the generated SAM template as a CloudFormation stack, as `sam package` and `sam deploy`
would: each function's `CodeUri` zipped and uploaded, the state machine's `DefinitionUri` uploaded,
the template transformed to CloudFormation by the SAM translator (the library CloudFormation's
`AWS::Serverless` transform runs), the stack created, and its outputs, resources and functions'
configurations printed as one JSON object on standard output.

    deploy.py --endpoint-url http://127.0.0.1:PORT --template deploy/template.yaml --stack checkout
              [--placeholder-code | --code FUNCTION=BINARY ...]

`--code checkout-step=target/debug/checkout-step` deploys that binary as the function's
`bootstrap` (an emulator that runs functions on this machine's architecture: ministack).
`--placeholder-code` uploads a stand-in for each function's code instead of its build, for an
emulator that does not run the code it stores (moto: `cargo lambda watch` serves the functions).
Otherwise a function whose `CodeUri` holds no build is an error that says how to build it.

Errors are one line on standard error and exit status 1; a stack that fails to create names
each resource that failed and why.
"""

import argparse
import io
import json
import os
import sys
import time
import zipfile

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform

ARTIFACTS = "checkout-artifacts"


class DeployError(Exception):
    pass


def zipped(directory, placeholder, binary=None):
    """The function's code as Lambda takes it: a zip of its build directory, or of `binary` as
    its `bootstrap`."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        if binary:
            if not os.path.isfile(binary):
                raise DeployError(f"no binary at {binary}")
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            with open(binary, "rb") as built:
                archive.writestr(info, built.read(), zipfile.ZIP_DEFLATED)
        elif placeholder:
            archive.writestr("bootstrap", "#!/bin/sh\necho 'served by cargo lambda watch' >&2; exit 1\n")
        else:
            bootstrap = os.path.join(directory, "bootstrap")
            if not os.path.isfile(bootstrap):
                raise DeployError(f"no build at {bootstrap}: run `cargo lambda build --release --arm64` first")
            for name in sorted(os.listdir(directory)):
                archive.write(os.path.join(directory, name), name)
    return data.getvalue()


def packaged(template, template_dir, s3, placeholder, binaries):
    """The template with its local paths replaced by the S3 objects they were uploaded to."""
    s3.create_bucket(Bucket=ARTIFACTS)
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            key = f"{name}.zip"
            binary = binaries.get(properties.get("FunctionName", name))
            code = zipped(os.path.join(template_dir, properties["CodeUri"]), placeholder, binary)
            s3.put_object(Bucket=ARTIFACTS, Key=key, Body=code)
            properties["CodeUri"] = f"s3://{ARTIFACTS}/{key}"
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(properties.get("DefinitionUri"), str):
            path = os.path.join(template_dir, properties["DefinitionUri"])
            key = os.path.basename(path)
            with open(path, "rb") as definition:
                s3.put_object(Bucket=ARTIFACTS, Key=key, Body=definition.read())
            properties["DefinitionUri"] = f"s3://{ARTIFACTS}/{key}"
    return template


class NoManagedPolicies:
    """The translator's loader of AWS managed policies, asked only for policies named in a
    function's `Policies`; the template names none (every role is written out)."""

    def load(self):
        return {}


def translated(template):
    try:
        return transform(template, {}, NoManagedPolicies())
    except InvalidDocumentException as invalid:
        raise DeployError("the SAM translator refused the template: " + "; ".join(str(c) for c in invalid.causes))


def created(cloudformation, stack, template):
    cloudformation.create_stack(
        StackName=stack,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    for _ in range(600):
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
        status = described["StackStatus"]
        if status == "CREATE_COMPLETE":
            return described
        if not status.endswith("IN_PROGRESS"):
            events = cloudformation.describe_stack_events(StackName=stack)["StackEvents"]
            failures = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '?')}" for e in events
                        if e["ResourceStatus"].endswith("FAILED")]
            raise DeployError(f"stack {stack} ended {status}: " + ("; ".join(failures) or "no reason given"))
        time.sleep(0.5)
    raise DeployError(f"stack {stack} was still being created after 5 minutes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--stack", default="checkout")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--placeholder-code", action="store_true")
    parser.add_argument("--code", action="append", default=[], metavar="FUNCTION=BINARY")
    options = parser.parse_args()
    binaries = dict(pair.split("=", 1) for pair in options.code)
    # The translator reads the region (for ARNs it makes) from the environment.
    os.environ["AWS_DEFAULT_REGION"] = options.region
    session = boto3.session.Session(region_name=options.region)
    client = lambda service: session.client(service, endpoint_url=options.endpoint_url)  # noqa: E731
    try:
        with open(options.template) as text:
            template = json.load(text)
        template = packaged(template, os.path.dirname(os.path.abspath(options.template)), client("s3"),
                            options.placeholder_code, binaries)
        stack = created(client("cloudformation"), options.stack, translated(template))
        resources = client("cloudformation").describe_stack_resources(StackName=options.stack)["StackResources"]
        functions = {}
        for resource in resources:
            if resource["ResourceType"] == "AWS::Lambda::Function":
                config = client("lambda").get_function_configuration(FunctionName=resource["PhysicalResourceId"])
                functions[config["FunctionName"]] = {
                    "Role": config["Role"],
                    "Environment": config.get("Environment", {}).get("Variables", {}),
                }
    except (DeployError, OSError, ValueError, ClientError, BotoCoreError) as error:
        print(f"error: deploying {options.template}: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({
        "Outputs": {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])},
        "Resources": {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources},
        "Functions": functions,
    }))


if __name__ == "__main__":
    main()
