"""Gemini parts ⇄ IR parts, for requests and answers alike.

Thought signatures. Gemini puts a `thoughtSignature` on the part that follows its
thinking (the first function call of a step, or a text part) and sometimes on a thought
part itself; it must come back on the same part. In the IR a signature always travels
in a Thinking, so that every caller can hold it (an Anthropic caller as a thinking
block, a chat caller in thinking_blocks) and return it:

- consecutive thought parts are one Thinking; a signature on one of them closes it;
- a signature on any other part is a Thinking with no text just before that part;
- written back, a Thinking with text is a thought part (with its signature, if any),
  and a Thinking with only a signature puts it on the next part of the turn, or on an
  empty text part when nothing follows: no empty thought part is ever sent.

`ToolCall.signature` is not read from Gemini, but honoured when another reader set it.

Signatures for a Gemini caller. The google-genai SDK holds `thoughtSignature` as bytes: it
decodes the base64 it is sent (failing on what is not base64) and sends it back encoded
URL-safe, which alters another provider's standard-base64 signature. So a signature sent
to a Gemini caller is sealed (the URL-safe base64 of a marker and the signature, which
survives that trip unchanged) and opened again when the caller sends it back; one without
the marker is Gemini's own and passes as it came.

Call ids. Gemini's function calls and responses carry an `id` only sometimes; where
they do not, calls get `call_<name>_<n>` (characters other than [A-Za-z0-9_-] in the
name as "_", which every caller's id rules accept), numbered through the conversation
(or the answer), and a response without an id answers the oldest unanswered call of
its name. Ids of that form are not sent to Gemini, which never saw them.
"""

import base64
import binascii
import re
from collections.abc import Callable

import msgspec

from ingate_translate import ir
from ingate_translate.base import TranslationError
from ingate_translate.convert import compact_json
from ingate_translate.schemas import gemini as gm

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_GEMINI_FILES = "https://generativelanguage.googleapis.com/"
_decode_object = msgspec.json.Decoder(dict[str, object]).decode
_SEALED = b"ingate-signature:"


def seal(signature: str) -> str:
    """Another provider's signature as a Gemini caller's SDK can hold and return unchanged."""
    return base64.urlsafe_b64encode(_SEALED + signature.encode()).decode()


def unseal(signature: str) -> str:
    """What `seal` made, opened (in either base64 alphabet); any other signature as it is."""
    try:
        padded = signature + "=" * (-len(signature) % 4)
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        return raw.removeprefix(_SEALED).decode() if raw.startswith(_SEALED) else signature
    except (binascii.Error, ValueError):  # not base64, or not text: not sealed
        return signature


def _same(signature: str) -> str:
    return signature


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name) or "tool"


def synthesized_id(name: str, number: int) -> str:
    """The id of the `number`th function call (from 0) that Gemini gave no id."""
    return f"call_{_safe(name)}_{number}"


def is_synthesized(call_id: str, name: str) -> bool:
    return re.fullmatch(rf"call_{re.escape(_safe(name))}_\d+", call_id) is not None


class CallIds:
    """Ids for the function calls and responses of one conversation (or one answer)."""

    def __init__(self) -> None:
        self._count = 0
        self._unanswered: dict[str, list[str]] = {}

    def call(self, given: str | None, name: str) -> str:
        call_id = given or synthesized_id(name, self._count)
        self._count += 1
        self._unanswered.setdefault(name, []).append(call_id)
        return call_id

    def response(self, given: str | None, name: str) -> str:
        waiting = self._unanswered.get(name, [])
        if given:
            if given in waiting:
                waiting.remove(given)
            return given
        return waiting.pop(0) if waiting else synthesized_id(name, self._count)


# -- Gemini → IR ---------------------------------------------------------------


def _image(mime_type: str | None, where: str) -> str:
    media = (mime_type or "").lower()
    if media and not media.startswith("image/"):
        raise TranslationError(f"Only images can be translated, not {media!r}.", param=where)
    return media


def _media(part: gm.Part | gm.FunctionResponsePart, where: str) -> ir.Image | None:
    if part.inline_data is not None:
        media = _image(part.inline_data.mime_type, f"{where}.inlineData")
        return ir.Image(media_type=media, data=part.inline_data.data)
    if part.file_data is not None:
        media = _image(part.file_data.mime_type, f"{where}.fileData")
        return ir.Image(media_type=media, url=part.file_data.file_uri)
    return None


def _result(response: gm.FunctionResponse, call_id: str, where: str) -> ir.ToolResult:
    content: list[ir.Text | ir.Image] = []
    value = response.response
    if value is not None:
        output = value.get("output")
        plain = isinstance(output, str) and len(value) == 1  # {"output": text}, as it was written
        content.append(ir.Text(text=output if isinstance(output, str) and plain else compact_json(value)))
    for number, item in enumerate(response.parts or []):
        image = _media(item, f"{where}.functionResponse.parts[{number}]")
        if image is not None:
            content.append(image)
    return ir.ToolResult(call_id=call_id, name=response.name, content=content)


def read_parts(parts: list[gm.Part], where: str, ids: CallIds, *, caller: bool = False) -> list[ir.Part]:
    """A turn's (or an answer's) parts; `where` is its path, for errors ("contents[2]");
    `caller`: sent by a Gemini caller, whose signatures may be sealed."""
    opened = unseal if caller else _same
    out: list[ir.Part] = []
    thinking: ir.Thinking | None = None  # the Thinking consecutive thought parts still extend
    for number, part in enumerate(parts):
        at = f"{where}.parts[{number}]"
        signature = opened(part.thought_signature or "")
        if part.thought:
            if thinking is None:
                thinking = ir.Thinking()
                out.append(thinking)
            thinking.text += part.text or ""
            thinking.signature = signature
            if signature:
                thinking = None
            continue
        thinking = None
        for name in ("executable_code", "code_execution_result", "video_metadata"):
            if getattr(part, name) is not None:
                raise TranslationError("Code execution and video parts cannot be translated.", param=at)
        if signature:
            out.append(ir.Thinking(signature=signature))
        if part.function_call is not None:
            call = part.function_call
            arguments = call.args if call.args is not None else {}
            out.append(ir.ToolCall(id=ids.call(call.id, call.name), name=call.name, arguments=arguments))
        elif part.function_response is not None:
            answered = part.function_response
            out.append(_result(answered, ids.response(answered.id, answered.name), at))
        elif (image := _media(part, at)) is not None:
            out.append(image)
        elif part.text:
            out.append(ir.Text(text=part.text))
    return out


# -- IR → Gemini ---------------------------------------------------------------


def _blob(image: ir.Image, where: str) -> tuple[gm.Blob | None, gm.FileData | None]:
    if image.data:
        return gm.Blob(mime_type=image.media_type, data=image.data), None
    if image.url.startswith(("http://", "https://")) and not image.url.startswith(_GEMINI_FILES):
        raise TranslationError(
            "Gemini does not fetch image URLs: send the image as base64 data.", param=where
        )
    return None, gm.FileData(mime_type=image.media_type or None, file_uri=image.url)


def _image_part(image: ir.Image, where: str) -> gm.Part:
    inline, file = _blob(image, where)
    return gm.Part(inline_data=inline, file_data=file)


def _response(result: ir.ToolResult, where: str) -> gm.FunctionResponse:
    if not result.name:
        raise TranslationError(f"No tool call in the conversation has id {result.call_id!r}.", param=where)
    texts = [item.text for item in result.content if isinstance(item, ir.Text)]
    text = "\n".join(texts)
    value: dict[str, object] | None = None
    if text.lstrip().startswith("{"):
        try:
            value = _decode_object(text)
        except (msgspec.DecodeError, RecursionError):  # text, then
            value = None
    if value is None:
        value = {"error" if result.is_error else "output": text}
    media: list[gm.FunctionResponsePart] = []
    for number, item in enumerate(result.content):
        if isinstance(item, ir.Image):
            inline, file = _blob(item, f"{where}.content[{number}]")
            media.append(gm.FunctionResponsePart(inline_data=inline, file_data=file))
    call_id = None if is_synthesized(result.call_id, result.name) else result.call_id
    return gm.FunctionResponse(id=call_id, name=result.name, response=value, parts=media or None)


def _part(part: ir.Part, where: str, sealed: Callable[[str], str]) -> gm.Part | None:
    if isinstance(part, ir.Text):
        return gm.Part(text=part.text) if part.text else None
    if isinstance(part, ir.Image):
        return _image_part(part, where)
    if isinstance(part, ir.ToolCall):
        call_id = None if is_synthesized(part.id, part.name) else part.id
        call = gm.FunctionCall(id=call_id, name=part.name, args=part.arguments)
        return gm.Part(
            function_call=call, thought_signature=sealed(part.signature) if part.signature else None
        )
    if isinstance(part, ir.ToolResult):
        return gm.Part(function_response=_response(part, where))
    return None  # RedactedThinking: another provider's encrypted reasoning, unreadable to Gemini


def write_parts(parts: list[ir.Part], where: str, *, caller: bool = False) -> list[gm.Part]:
    """IR parts as a turn's (or an answer's) parts; `where` names the turn for errors;
    `caller`: for a Gemini caller, whose signatures are sealed."""
    sealed = seal if caller else _same
    out: list[gm.Part] = []
    signature = ""  # a Thinking's signature waiting for the part it goes on
    for number, part in enumerate(parts):
        if isinstance(part, ir.Thinking):
            if signature:
                out.append(gm.Part(text="", thought_signature=signature))
            own = sealed(part.signature) if part.signature else ""
            signature = "" if part.text else own
            if part.text:
                out.append(gm.Part(text=part.text, thought=True, thought_signature=own or None))
            continue
        written = _part(part, f"{where}.content[{number}]", sealed)
        if written is None and signature and isinstance(part, ir.Text):
            written = gm.Part(text="")
        if written is None:
            continue
        if signature:
            written.thought_signature, signature = signature, ""
        out.append(written)
    if signature:
        out.append(gm.Part(text="", thought_signature=signature))
    return out
