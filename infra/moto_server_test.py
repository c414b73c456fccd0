"""infra/moto_server.py's journaled TransactWriteItems answers as moto's own (whole-table copy)
does: the same responses, errors and cancellation reasons, and the same tables and stream
records after each one. Runs the same transactions through both and compares everything.

Usage: .venv/bin/python infra/moto_server_test.py   (make test runs it; ~2 s)
"""
import json
import os
import sys

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["MOTO_TABLE_COPY"] = "1"  # import unpatched; each run picks its implementation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core import DEFAULT_ACCOUNT_ID  # noqa: E402
from moto.dynamodb.models import dynamodb_backends  # noqa: E402

import moto_server  # noqa: E402


def s(v):
    return {"S": v}


def n(v):
    return {"N": str(v)}


def put(table, item, cond=None, **kw):
    op = {"TableName": table, "Item": item}
    if cond:
        op["ConditionExpression"] = cond
    op.update(kw)
    return {"Put": op}


def update(table, key, expr, values=None, cond=None, **kw):
    op = {"TableName": table, "Key": key, "UpdateExpression": expr}
    if values:
        op["ExpressionAttributeValues"] = values
    if cond:
        op["ConditionExpression"] = cond
    op.update(kw)
    return {"Update": op}


def delete(table, key, cond=None):
    op = {"TableName": table, "Key": key}
    if cond:
        op["ConditionExpression"] = cond
    return {"Delete": op}


def check(table, key, cond):
    return {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": cond}}


PK = {"pk": s("a"), "sk": s("1")}
TRANSACTIONS = [
    # committed: insert into both tables, a counter, a claim
    [put("r", {"pk": s("a"), "sk": s("1"), "v": n(1)}, "attribute_not_exists(pk)"),
     put("h", {"id": s("claim-1"), "owner": s("a")}, "attribute_not_exists(id)"),
     update("h", {"id": s("count")}, "ADD c :one", {":one": n(1)})],
    [put("r", {"pk": s("a"), "sk": s("2"), "v": n(2)}),
     update("h", {"id": s("count")}, "ADD c :one", {":one": n(1)})],
    # cancelled by the last condition: the earlier writes (a new hash, a counter) roll back
    [put("r", {"pk": s("new"), "sk": s("1"), "v": n(3)}),
     update("h", {"id": s("count")}, "ADD c :one", {":one": n(1)}),
     put("h", {"id": s("claim-1"), "owner": s("b")}, "attribute_not_exists(id)",
         ReturnValuesOnConditionCheckFailure="ALL_OLD")],
    # cancelled by a condition check; an update that would create an item rolls back
    [update("r", {"pk": s("b"), "sk": s("9")}, "SET v = :v", {":v": n(9)}),
     check("h", {"id": s("claim-1")}, "attribute_not_exists(id)")],
    # cancelled with two failing reasons, one on a delete
    [delete("r", PK),
     update("r", {"pk": s("a"), "sk": s("2")}, "SET v = :v", {":v": n(5), ":x": n(0)}, "v = :x"),
     put("h", {"id": s("claim-2")}, "attribute_exists(id)")],
    # the same item twice: ValidationException, nothing written
    [update("h", {"id": s("count")}, "ADD c :one", {":one": n(1)}),
     update("h", {"id": s("count")}, "ADD c :one", {":one": n(1)})],
    # a missing range key after a write: ValidationException, the write rolled back
    [update("h", {"id": s("count")}, "ADD c :one", {":one": n(1)}),
     put("r", {"pk": s("z")})],
    # an unknown table
    [update("h", {"id": s("count")}, "ADD c :one", {":one": n(1)}),
     put("missing", {"id": s("x")})],
    # an update expression that fails on the item (ADD to a string)
    [put("r", {"pk": s("c"), "sk": s("1")}),
     update("h", {"id": s("claim-1")}, "ADD owner :one", {":one": n(1)})],
    # committed: a delete, an update of an existing item, a check that passes
    [delete("r", {"pk": s("a"), "sk": s("2")}),
     update("r", PK, "SET v = v + :one", {":one": n(1)}, "attribute_exists(pk)"),
     check("h", {"id": s("claim-1")}, "attribute_exists(id)")],
    # more than 100 operations
    [put("h", {"id": s(f"many-{i}")}) for i in range(101)],
]


def run(patched):
    if patched:
        moto_server.patch_transactions()
    else:
        moto_server.unpatch_transactions()
    answers = []
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        db.create_table(
            TableName="r", BillingMode="PAY_PER_REQUEST", StreamSpecification=stream,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        db.create_table(
            TableName="h", BillingMode="PAY_PER_REQUEST", StreamSpecification=stream,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        for items in TRANSACTIONS:
            try:
                db.transact_write_items(TransactItems=items)
                answer = "ok"
            except ClientError as e:
                answer = {k: e.response.get(k) for k in ("Error", "CancellationReasons")}
            tables = {t: sorted(json.dumps(i, sort_keys=True)
                                for i in db.scan(TableName=t)["Items"]) for t in ("r", "h")}
            counts = {t: db.describe_table(TableName=t)["Table"]["ItemCount"] for t in ("r", "h")}
            records = {}
            backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
            for t in ("r", "h"):
                # moto's dynamodbstreams client API is not served in-process: read its shard
                # (times, and SizeBytes which counts the time's digits, differ between runs)
                got = [r.to_json() for r in backend.tables[t].stream_shard.items]
                records[t] = [(r["eventName"], json.dumps(
                    {k: v for k, v in r["dynamodb"].items()
                     if k not in ("ApproximateCreationDateTime", "SizeBytes")}, sort_keys=True))
                    for r in got]
            answers.append({"answer": answer, "tables": tables, "counts": counts,
                            "records": records})
    return answers


def main():
    theirs, ours = run(patched=False), run(patched=True)
    failed = 0
    for i, (a, b) in enumerate(zip(theirs, ours)):
        if a != b:
            failed += 1
            for part in a:
                if a[part] != b[part]:
                    print(f"transaction {i}, {part}:\n  moto's copy {a[part]}\n  journaled   {b[part]}")
    kinds = sorted({json.dumps(a["answer"]["Error"]["Code"]) if a["answer"] != "ok" else "ok"
                    for a in theirs})
    print(f"moto transactions: {len(theirs) - failed} of {len(theirs)} the same ({', '.join(kinds)})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
