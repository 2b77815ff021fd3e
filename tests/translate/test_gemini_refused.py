"""The gemini-generate codec's refusals, each naming the parameter at fault, and hostile
request bodies, which are translation errors (a 400 for the caller), never a crash."""

import json
from typing import Any

import pytest

from ingate_translate import TranslationError, ir
from ingate_translate.shapes.gemini import GeminiCodec

CODEC = GeminiCodec()
HINTS = ir.Hints(model="gemini-2.5-flash")
Json = dict[str, Any]


def read(body: Json, hints: ir.Hints = HINTS) -> ir.Request:
    return CODEC.read_request(json.dumps(body).encode(), hints)


def user(*parts: Json) -> Json:
    return {"role": "user", "parts": list(parts)}


def model(*parts: Json) -> Json:
    return {"role": "model", "parts": list(parts)}


def say(text: str) -> ir.Message:
    return ir.Message(role="user", parts=[ir.Text(text=text)])


# -- refusals and hostile bodies -------------------------------------------------------

READ_REFUSED: list[tuple[Json, str]] = [
    ({"cachedContent": "cachedContents/abc"}, "cachedContent"),
    ({"generationConfig": {"candidateCount": 2}}, "generationConfig.candidateCount"),
    ({"generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}, "generationConfig.responseModalities"),
    ({"generationConfig": {"speechConfig": {"voiceConfig": {}}}}, "generationConfig.speechConfig"),
    ({"generationConfig": {"responseLogprobs": True}}, "generationConfig.responseLogprobs"),
    ({"generationConfig": {"responseMimeType": "text/x.enum"}}, "generationConfig.responseMimeType"),
    ({"generationConfig": {"topK": 2.5}}, "generationConfig.topK"),
    (
        {"generationConfig": {"thinkingConfig": {"thinkingLevel": "extreme"}}},
        "generationConfig.thinkingConfig.thinkingLevel",
    ),
    ({"tools": [{"functionDeclarations": []}, {"googleSearch": {}}]}, "tools[1].googleSearch"),
    ({"tools": [{"codeExecution": {}}]}, "tools[0].codeExecution"),
    ({"tools": [{"urlContext": {}}]}, "tools[0].urlContext"),
    (
        {"toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["a", "b"]}}},
        "toolConfig.functionCallingConfig.allowedFunctionNames",
    ),
    (
        {"toolConfig": {"functionCallingConfig": {"mode": "AUTO", "allowedFunctionNames": ["a"]}}},
        "toolConfig.functionCallingConfig.allowedFunctionNames",
    ),
    (
        {"toolConfig": {"functionCallingConfig": {"mode": "SOMETIMES"}}},
        "toolConfig.functionCallingConfig.mode",
    ),
    (
        {"contents": [user({"inlineData": {"mimeType": "application/pdf", "data": "JVBE"}})]},
        "contents[0].parts[0].inlineData",
    ),
    (
        {
            "contents": [
                user({"text": "a"}),
                user({"fileData": {"mimeType": "video/mp4", "fileUri": "gs://b/v"}}),
            ]
        },
        "contents[1].parts[0].fileData",
    ),
    ({"contents": [model({"executableCode": {"language": "PYTHON", "code": "1"}})]}, "contents[0].parts[0]"),
    ({"contents": [{"role": "system", "parts": [{"text": "x"}]}]}, "contents[0].role"),
    ({"contents": [user({"functionCall": {"name": "f"}})]}, "contents[0].parts"),
    (
        {"contents": [user({"text": "a"}), model({"functionResponse": {"name": "f", "response": {}}})]},
        "contents[1].parts",
    ),
    (
        {"systemInstruction": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "AA=="}}]}},
        "systemInstruction.parts[0]",
    ),
    ({"contents": [{"role": "user", "parts": "hello"}]}, "contents[0].parts"),
    ({"contents": [user({"text": 5})]}, "contents[0].parts[0].text"),
    ({"generationConfig": {"temperature": "hot"}}, "generationConfig.temperature"),
    (
        {"contents": [model({"functionCall": {"name": "f", "args": [1, 2]}})]},
        "contents[0].parts[0].functionCall.args",
    ),
]


@pytest.mark.parametrize(("body", "param"), READ_REFUSED, ids=[case[1] for case in READ_REFUSED])
def test_read_refusals_name_the_parameter(body: Json, param: str) -> None:
    with pytest.raises(TranslationError) as raised:
        read(body)
    assert raised.value.param == param
    assert raised.value.message


HOSTILE: list[bytes] = [
    b"",
    b"not json",
    b"[1, 2]",
    b'"contents"',
    b'{"contents": ',
    b'{"contents": [' + b"[" * 200_000 + b"]" * 200_000 + b"]}",
    b'{"contents": [{"parts": [{"functionCall": {"name": "f", "args": '
    + b'{"a":' * 100_000
    + b"1"
    + b"}" * 100_000
    + b"}}]}]}",
    b'{"tools": [{"functionDeclarations": [{"name": "f", "parameters": '
    + b'{"items":' * 2_000
    + b"{}"
    + b"}" * 2_000
    + b"}]}]}",
    b'{"contents": [{"parts": [{"text": "\xff\xfe"}]}]}',
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_bodies_are_translation_errors(body: bytes) -> None:
    with pytest.raises(TranslationError):
        CODEC.read_request(body, HINTS)


def test_a_request_without_a_model_in_its_path() -> None:
    with pytest.raises(TranslationError) as raised:
        read({"contents": []}, ir.Hints())
    assert raised.value.param == "model"


# -- IR → Gemini ---

WRITE_REFUSED: list[tuple[ir.Request, str]] = [
    (
        ir.Request(
            model="m",
            messages=[say("a"), ir.Message(role="user", parts=[ir.Image(url="https://x.test/cat.png")])],
        ),
        "messages[1].content[0]",
    ),
    (
        ir.Request(
            model="m",
            messages=[
                ir.Message(
                    role="user",
                    parts=[
                        ir.ToolResult(call_id="c", name="f", content=[ir.Image(url="http://x.test/a.png")])
                    ],
                )
            ],
        ),
        "messages[0].content[0].content[0]",
    ),
    (
        ir.Request(model="m", messages=[ir.Message(role="user", parts=[ir.ToolResult(call_id="lost")])]),
        "messages[0].content[0]",
    ),
]


@pytest.mark.parametrize(("request_", "param"), WRITE_REFUSED)
def test_write_refusals_name_the_parameter(request_: ir.Request, param: str) -> None:
    with pytest.raises(TranslationError) as raised:
        CODEC.write_request(request_)
    assert raised.value.param == param
