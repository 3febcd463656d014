"""An MCP client for tests/mcp.rs, on the official Python SDK (PyPI `mcp`).

The Rust test drives it one JSON line at a time on stdin and reads one JSON line back for
each. The first line says which server to start: {"command", "args", "env"}. Then:

  {"op": "initialize"}                       -> {server, version, protocol, instructions}
  {"op": "tools"}                            -> {tools: [{name, description, input_schema,
                                                 output_schema, annotations}]}
  {"op": "call", "tool", "arguments"}        -> a result (below)
  {"op": "parallel", "calls": [{tool, arguments}]}
                                             -> {finished: [call indexes, in the order the
                                                 answers came], results: [results]}
  {"op": "resources"}                        -> {resources: [{uri, name, mime_type}]}
  {"op": "read", "uri"}                      -> {contents: [{uri, mime_type, text}]}
  {"op": "close"}                            -> {transcript: [{to, line}], stderr}

A result is {is_error, structured, text}, or {protocol_error: {code, message}} when the server
answered with a JSON-RPC error. The transcript holds every JSON-RPC message both ways exactly as
it crossed the pipe ("server" for what the client sent, "client" for what the server sent).
"""
import json
import sys
import tempfile

import anyio
import mcp.client.stdio as stdio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

# A single operation may take this long (a `wait` takes at most 120 s).
OP_TIMEOUT = 170

transcript = []

# The server's lines as they arrived, before the SDK parses them.
_parse_line = stdio._parse_line


def _recorded_parse_line(line):
    transcript.append({"to": "client", "line": line})
    return _parse_line(line)


stdio._parse_line = _recorded_parse_line


class RecordedWrites:
    """The session's write stream, recording each message as the transport serializes it."""

    def __init__(self, stream):
        self.stream = stream

    async def send(self, message):
        line = message.message.model_dump_json(by_alias=True, exclude_unset=True)
        transcript.append({"to": "server", "line": line})
        await self.stream.send(message)

    async def aclose(self):
        await self.stream.aclose()

    def close(self):
        self.stream.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()


def reply(value):
    sys.stdout.write(json.dumps(value, ensure_ascii=True) + "\n")
    sys.stdout.flush()


async def read_request():
    line = await anyio.to_thread.run_sync(sys.stdin.readline)
    return json.loads(line) if line.strip() else {"op": "close"}


def dump(model):
    return model.model_dump(mode="json", by_alias=False, exclude_none=True) if model is not None else None


async def call(session, tool, arguments):
    try:
        result = await session.call_tool(tool, arguments)
    except Exception as error:  # a JSON-RPC error answer
        inner = getattr(error, "error", None)
        return {
            "protocol_error": {
                "code": getattr(inner, "code", None),
                "message": getattr(inner, "message", str(error)),
            }
        }
    return {
        "is_error": bool(result.is_error),
        "structured": result.structured_content,
        "text": [block.text for block in result.content if getattr(block, "text", None) is not None],
    }


async def handle(session, request):
    op = request["op"]
    if op == "initialize":
        init = await session.initialize()
        return {
            "server": init.server_info.name,
            "version": init.server_info.version,
            "protocol": init.protocol_version,
            "instructions": init.instructions,
        }
    if op == "tools":
        tools = await session.list_tools()
        return {
            "tools": [
                {
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": tool.input_schema,
                    "output_schema": tool.output_schema,
                    "annotations": dump(tool.annotations),
                }
                for tool in tools.tools
            ]
        }
    if op == "call":
        return await call(session, request["tool"], request.get("arguments", {}))
    if op == "parallel":
        calls = request["calls"]
        results = [None] * len(calls)
        finished = []

        async def one(index, spec):
            results[index] = await call(session, spec["tool"], spec.get("arguments", {}))
            finished.append(index)

        async with anyio.create_task_group() as group:
            for index, spec in enumerate(calls):
                group.start_soon(one, index, spec)
        return {"finished": finished, "results": results}
    if op == "resources":
        listed = await session.list_resources()
        return {
            "resources": [
                {"uri": str(r.uri), "name": r.name, "mime_type": r.mime_type} for r in listed.resources
            ]
        }
    if op == "read":
        try:
            read = await session.read_resource(request["uri"])
        except Exception as error:
            inner = getattr(error, "error", None)
            return {"protocol_error": {"code": getattr(inner, "code", None), "message": getattr(inner, "message", str(error))}}
        return {
            "contents": [
                {"uri": str(c.uri), "mime_type": c.mime_type, "text": getattr(c, "text", None)} for c in read.contents
            ]
        }
    raise ValueError(f"unknown op {op!r}")


async def main():
    start = json.loads(sys.stdin.readline())
    params = StdioServerParameters(command=start["command"], args=start["args"], env=start["env"])
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, RecordedWrites(write)) as session:
                while True:
                    request = await read_request()
                    if request["op"] == "close":
                        break
                    try:
                        with anyio.fail_after(OP_TIMEOUT):
                            reply(await handle(session, request))
                    except Exception as error:
                        reply({"client_error": f"{type(error).__name__}: {error}"})
        errlog.seek(0)
        reply({"transcript": transcript, "stderr": errlog.read()})


anyio.run(main)
