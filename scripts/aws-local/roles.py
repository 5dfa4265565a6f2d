"""Reads and rewrites a role's inline policies on an emulator, for the test that removes each
action of each role in turn (crates/checkout-lambda/tests/functions/ministack.rs).

    roles.py --endpoint-url URL show ROLE                  # [{"PolicyName": ..., "PolicyDocument": ...}]
    roles.py --endpoint-url URL put ROLE NAME DOCUMENT     # DOCUMENT is the policy's JSON

Errors are one line on standard error and exit status 1.
"""

import argparse
import json
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint-url", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show")
    show.add_argument("role")
    put = commands.add_parser("put")
    put.add_argument("role")
    put.add_argument("name")
    put.add_argument("document")
    options = parser.parse_args()
    iam = boto3.client("iam", endpoint_url=options.endpoint_url, region_name="us-east-1")
    try:
        if options.command == "show":
            names = iam.list_role_policies(RoleName=options.role)["PolicyNames"]
            policies = [{"PolicyName": name,
                         "PolicyDocument": iam.get_role_policy(RoleName=options.role, PolicyName=name)["PolicyDocument"]}
                        for name in names]
            print(json.dumps(policies))
        else:
            iam.put_role_policy(RoleName=options.role, PolicyName=options.name, PolicyDocument=options.document)
    except (ClientError, BotoCoreError) as error:
        print(f"error: {options.command} {options.role}: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
