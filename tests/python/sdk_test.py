"""Drives a running mamori demo gateway with the official `openai` Python SDK.

Usage: sdk_test.py PORT

Runs every check, prints one line per check ("ok   <name>" or "FAIL <name>: <why>")
and a summary line, and exits 0 only if every check passed. It needs the demo
configuration (`mamori serve` without --config): the mock provider echoes the
last user message, and the staff keys mk-demo-alice / mk-demo-bob.
"""

from __future__ import annotations

import base64
import struct
import sys
import traceback

import openai
from openai import AzureOpenAI, OpenAI

CHAT_MODEL = "gpt-4o-mini"
EMBED_MODEL = "text-embedding-3-small"
AZURE_API_VERSION = "2024-10-21"

PROMPT_JA = "会議の議事録を三行で要約してください。日時は来週の火曜日です。"
PROMPT_EN = "Summarise the minutes of the meeting in three lines."
PROMPT_MIXED = "Rustで「こんにちは、世界」と表示するコードを書いてください。"

RESULTS: list[tuple[str, bool, str]] = []


def check(name):
    """Registers a check function; failures are recorded, never raised."""

    def wrap(fn):
        def run(*args):
            try:
                fn(*args)
            except Exception as e:  # noqa: BLE001 - report everything
                detail = f"{type(e).__name__}: {e}"
                RESULTS.append((name, False, detail))
                print(f"FAIL {name}: {detail}", flush=True)
                traceback.print_exc(file=sys.stdout)
                return
            RESULTS.append((name, True, ""))
            print(f"ok   {name}", flush=True)

        run.check_name = name
        return run

    return wrap


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def expect_eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def user(text):
    return [
        {"role": "system", "content": "あなたは自治体職員を支援するアシスタントです。"},
        {"role": "user", "content": text},
    ]


# ---------------------------------------------------------------- chat


def chat_non_streaming(client, prompt):
    resp = client.chat.completions.create(model=CHAT_MODEL, messages=user(prompt))
    expect_eq(resp.object, "chat.completion", "object")
    expect(len(resp.choices) == 1, f"one choice expected, got {len(resp.choices)}")
    expect_eq(resp.choices[0].message.role, "assistant", "role")
    expect_eq(resp.choices[0].message.content, prompt, "echoed content")
    expect_eq(resp.choices[0].finish_reason, "stop", "finish_reason")
    expect(resp.usage is not None, "usage missing")
    expect(resp.usage.prompt_tokens > 0, "usage.prompt_tokens must be > 0")
    expect(resp.usage.completion_tokens > 0, "usage.completion_tokens must be > 0")
    expect_eq(
        resp.usage.total_tokens,
        resp.usage.prompt_tokens + resp.usage.completion_tokens,
        "usage.total_tokens",
    )


def chat_streaming(client, prompt):
    stream = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=user(prompt),
        stream=True,
        stream_options={"include_usage": True},
    )
    parts, chunks, content_chunks, finish, usage = [], 0, 0, None, None
    for chunk in stream:
        # The SDK parses every event into a ChatCompletionChunk; a malformed one raises.
        expect(
            isinstance(chunk, openai.types.chat.ChatCompletionChunk),
            f"chunk parsed as {type(chunk).__name__}",
        )
        expect_eq(chunk.object, "chat.completion.chunk", "chunk.object")
        chunks += 1
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                parts.append(choice.delta.content)
                content_chunks += 1
            if choice.finish_reason:
                finish = choice.finish_reason
    expect_eq("".join(parts), prompt, "concatenated deltas")
    expect(content_chunks > 1, f"expected several content chunks, got {content_chunks}")
    expect_eq(finish, "stop", "finish_reason")
    expect(usage is not None and usage.total_tokens > 0, "usage chunk missing")
    print(f"     ({chunks} chunks, {content_chunks} with content)")


def legacy_completions(client, prompt):
    resp = client.completions.create(model=CHAT_MODEL, prompt=prompt, max_tokens=64)
    expect_eq(resp.object, "text_completion", "object")
    expect_eq(resp.choices[0].text, prompt, "echoed text")
    expect(resp.usage is not None and resp.usage.total_tokens > 0, "usage missing")


def legacy_completions_streaming(client, prompt):
    stream = client.completions.create(model=CHAT_MODEL, prompt=prompt, stream=True)
    text = "".join(c.choices[0].text for c in stream if c.choices)
    expect_eq(text, prompt, "concatenated text")


# ---------------------------------------------------------------- embeddings


def embeddings_default(client):
    # Without encoding_format the SDK asks for base64 and decodes it itself.
    raw = client.embeddings.with_raw_response.create(model=EMBED_MODEL, input=PROMPT_JA)
    resp = raw.parse()
    vec = resp.data[0].embedding
    expect(isinstance(vec, list), f"embedding is {type(vec).__name__}, want list")
    expect_eq(len(vec), 1536, "embedding length")
    expect(all(isinstance(x, float) for x in vec[:16]), "embedding values must be floats")
    expect(resp.usage.prompt_tokens > 0, "usage.prompt_tokens must be > 0")
    # The wire format really was base64 (the SDK's default path).
    wire = raw.http_request.content
    expect(b'"encoding_format":"base64"' in wire.replace(b" ", b""), f"request body {wire!r}")
    body = raw.http_response.json()
    b64 = body["data"][0]["embedding"]
    expect(isinstance(b64, str), "wire embedding should be a base64 string")
    floats = struct.unpack(f"<{len(base64.b64decode(b64)) // 4}f", base64.b64decode(b64))
    expect_eq(len(floats), 1536, "decoded base64 length")
    expect(
        all(abs(a - b) < 1e-6 for a, b in zip(floats, vec)),
        "SDK-decoded vector differs from the wire data",
    )


def embeddings_float(client):
    resp = client.embeddings.create(
        model=EMBED_MODEL, input=[PROMPT_JA, PROMPT_EN], encoding_format="float"
    )
    expect_eq(len(resp.data), 2, "number of embeddings")
    for i, d in enumerate(resp.data):
        expect_eq(d.index, i, "index")
        expect_eq(len(d.embedding), 1536, f"embedding[{i}] length")
    # Deterministic mock: the same input gives the same vector.
    again = client.embeddings.create(model=EMBED_MODEL, input=PROMPT_JA, encoding_format="float")
    expect(again.data[0].embedding == resp.data[0].embedding, "mock embeddings not deterministic")


def embeddings_dimensions(client):
    resp = client.embeddings.create(model=EMBED_MODEL, input=PROMPT_JA, dimensions=256)
    expect_eq(len(resp.data[0].embedding), 256, "embedding length with dimensions=256")


# ---------------------------------------------------------------- responses


def responses_non_streaming(client, prompt):
    resp = client.responses.create(model=CHAT_MODEL, input=prompt)
    expect_eq(resp.status, "completed", "status")
    expect_eq(resp.output_text, prompt, "output_text")
    expect(resp.usage is not None and resp.usage.total_tokens > 0, "usage missing")


def responses_streaming(client, prompt):
    deltas, types, completed = [], [], None
    with client.responses.stream(model=CHAT_MODEL, input=prompt) as stream:
        for event in stream:
            types.append(event.type)
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
        completed = stream.get_final_response()
    expect_eq("".join(deltas), prompt, "concatenated response.output_text.delta")
    expect(len(deltas) > 1, f"expected several deltas, got {len(deltas)}")
    expect_eq(types[0], "response.created", "first event")
    expect_eq(types[-1], "response.completed", "last event")
    expect_eq(completed.output_text, prompt, "final response output_text")


def responses_streaming_create(client, prompt):
    # The lower-level path: create(stream=True) yields typed events.
    stream = client.responses.create(model=CHAT_MODEL, input=prompt, stream=True)
    text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
    expect_eq(text, prompt, "concatenated deltas (create stream=True)")


# ---------------------------------------------------------------- errors, headers


def invalid_key(make_client):
    bad = make_client("mk-not-a-real-key")
    try:
        bad.chat.completions.create(model=CHAT_MODEL, messages=user("hi"))
    except openai.AuthenticationError as e:
        expect_eq(e.status_code, 401, "status")
        expect(e.body is None or "message" in e.body, f"error body {e.body!r}")
        return
    raise AssertionError("no AuthenticationError for an invalid key")


def missing_key(client):
    # No credentials at all: the SDK always sends one, so strip both header forms.
    try:
        client.chat.completions.create(
            model=CHAT_MODEL,
            messages=user("hi"),
            extra_headers={"Authorization": openai.Omit(), "api-key": openai.Omit()},
        )
    except openai.AuthenticationError as e:
        expect_eq(e.status_code, 401, "status")
        return
    raise AssertionError("no AuthenticationError without any key")


def unknown_model(client):
    try:
        client.chat.completions.create(model="gpt-does-not-exist", messages=user("hi"))
    except openai.NotFoundError as e:
        expect_eq(e.status_code, 404, "status")
        return
    raise AssertionError("no NotFoundError for an unknown model")


def request_id_header(client, want_path):
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL, messages=user(PROMPT_EN)
    )
    # Make sure the client really used the route style under test.
    expect_eq(raw.http_request.url.path, want_path, "request path")
    rid = raw.headers.get("x-request-id")
    expect(rid is not None, "x-request-id header missing")
    expect(len(rid) == 26, f"x-request-id {rid!r} is not a 26-char ULID")
    expect(
        all(c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" for c in rid.upper()),
        f"x-request-id {rid!r} is not Crockford base32",
    )
    expect_eq(raw.parse().choices[0].message.content, PROMPT_EN, "content via raw response")
    # The SDK also exposes it on the parsed object.
    parsed = raw.parse()
    sdk_rid = getattr(parsed, "_request_id", None)
    expect(sdk_rid in (None, rid), f"SDK _request_id {sdk_rid!r} != header {rid!r}")


def request_id_on_errors(client):
    try:
        client.chat.completions.create(model="gpt-does-not-exist", messages=user("hi"))
    except openai.NotFoundError as e:
        rid = e.response.headers.get("x-request-id")
        expect(rid is not None and len(rid) == 26, f"x-request-id on 404: {rid!r}")
        return
    raise AssertionError("no NotFoundError for an unknown model")


def list_models(client):
    ids = sorted(m.id for m in client.models.list())
    expect(CHAT_MODEL in ids and EMBED_MODEL in ids, f"models: {ids}")


# ---------------------------------------------------------------- main


def main():
    if len(sys.argv) != 2:
        print("usage: sdk_test.py PORT", file=sys.stderr)
        return 2
    port = int(sys.argv[1])
    print(f"openai SDK {openai.__version__}, python {sys.version.split()[0]}, port {port}")

    def openai_client(key):
        return OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0, timeout=30)

    def azure_client(key):
        return AzureOpenAI(
            azure_endpoint=f"http://127.0.0.1:{port}",
            api_version=AZURE_API_VERSION,
            api_key=key,
            max_retries=0,
            timeout=30,
        )

    oa = openai_client("mk-demo-alice")
    az = azure_client("mk-demo-bob")

    plan = []
    styles = (
        ("openai", oa, openai_client, "/v1/chat/completions"),
        ("azure", az, azure_client, f"/openai/deployments/{CHAT_MODEL}/chat/completions"),
    )
    for style, client, make, chat_path in styles:
        plan += [
            (check(f"{style}: chat non-streaming (Japanese)")(chat_non_streaming), client, PROMPT_JA),
            (check(f"{style}: chat non-streaming (mixed)")(chat_non_streaming), client, PROMPT_MIXED),
            (check(f"{style}: chat streaming (Japanese)")(chat_streaming), client, PROMPT_JA),
            (check(f"{style}: chat streaming (English)")(chat_streaming), client, PROMPT_EN),
            (check(f"{style}: legacy completions")(legacy_completions), client, PROMPT_JA),
            (check(f"{style}: legacy completions streaming")(legacy_completions_streaming), client, PROMPT_MIXED),
            (check(f"{style}: embeddings, SDK default (base64)")(embeddings_default), client),
            (check(f"{style}: embeddings, encoding_format=float")(embeddings_float), client),
            (check(f"{style}: embeddings, dimensions=256")(embeddings_dimensions), client),
            (check(f"{style}: responses non-streaming")(responses_non_streaming), client, PROMPT_JA),
            (check(f"{style}: responses streaming (stream helper)")(responses_streaming), client, PROMPT_JA),
            (check(f"{style}: responses streaming (create stream=True)")(responses_streaming_create), client, PROMPT_EN),
            (check(f"{style}: invalid key -> AuthenticationError")(invalid_key), make),
            (check(f"{style}: no key at all -> AuthenticationError")(missing_key), client),
            (check(f"{style}: unknown model -> NotFoundError")(unknown_model), client),
            (check(f"{style}: x-request-id via with_raw_response")(request_id_header), client, chat_path),
            (check(f"{style}: x-request-id on an error")(request_id_on_errors), client),
        ]
    plan.append((check("openai: models.list")(list_models), oa))

    for fn, *args in plan:
        fn(*args)

    failed = [name for name, ok, _ in RESULTS if not ok]
    passed = len(RESULTS) - len(failed)
    if failed:
        print(f"SUMMARY: {passed}/{len(RESULTS)} checks passed; FAILED: {', '.join(failed)}")
        return 1
    print(f"SUMMARY: {passed}/{len(RESULTS)} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
