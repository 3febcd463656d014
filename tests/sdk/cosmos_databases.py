"""Database-level work with the official Azure Cosmos DB SDK against `dbctl emulator serve`.

Run by tests/cosmos_sdk.rs with COSMOS_ENDPOINT and COSMOS_KEY from the emulator's `export`
lines; prints one JSON object with what the SDK saw. It runs the README's snippet, then more.
"""
import json

import azure.cosmos

# The README's snippet, verbatim.
import os
from azure.cosmos import CosmosClient

client = CosmosClient(os.environ["COSMOS_ENDPOINT"], credential=os.environ["COSMOS_KEY"])
listed = [db["id"] for db in client.list_databases()]
db = client.create_database("sdk-provisioned", offer_throughput=400)
read = db.read()["id"]

# Beyond it: without throughput, a seeded id with a space, a duplicate, a delete, a container.
errors = azure.cosmos.exceptions
seen = {"listed": listed, "read": [read]}
client.create_database("sdk-plain")
seen["read"].append(client.get_database_client("sdk-plain").read()["id"])
seen["read"].append(client.get_database_client("Food DB").read()["id"])
try:
    client.create_database("sdk-plain")
except errors.CosmosResourceExistsError as error:
    seen["duplicate"] = error.status_code
client.delete_database("sdk-plain")
try:
    client.get_database_client("sdk-plain").read()
except errors.CosmosResourceNotFoundError as error:
    seen["deleted"] = error.status_code
try:
    db.create_container("orders", partition_key=azure.cosmos.PartitionKey(path="/id"))
except errors.CosmosHttpResponseError as error:
    seen["container"] = {"status": error.status_code, "message": error.message}
print(json.dumps(seen))
