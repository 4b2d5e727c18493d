"""The official `openai` Python SDK against a running Pincer gateway.

Run by tests/integration/openai/sdk.rs, which starts the gateway (with /v1/responses on) over
a model emulator and passes PINCER_BASE_URL (".../v1") and PINCER_TOKEN. The emulator answers
"echo: <last user text>" unless a reply was scripted: the Rust test scripts a tool call and
its follow-up twice, which the first two checks below consume, so the checks run in this
order.

Every answer is also validated strictly against the SDK's own pydantic models (the SDK builds
its objects leniently; `model_validate` refuses a missing or mistyped field), so what the
gateway sends is what the SDK's parser expects. Exits non-zero with a message on the first
failure.
"""

import json
import os
import sys

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

BASE_URL = os.environ["PINCER_BASE_URL"]
TOKEN = os.environ["PINCER_TOKEN"]
client = openai.OpenAI(base_url=BASE_URL, api_key=TOKEN, max_retries=0, timeout=60)
events_adapter = TypeAdapter(ResponseStreamEvent)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather of a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def chat_tool_round_trip():
    question = {"role": "user", "content": "Weather in Paris?"}
    first = client.chat.completions.create(model="pincer", messages=[question], tools=[WEATHER])
    ChatCompletion.model_validate(first.to_dict())
    choice = first.choices[0]
    check(choice.finish_reason == "tool_calls", f"finish_reason: {choice}")
    call = choice.message.tool_calls[0]
    check(call.function.name == "get_weather", f"tool call: {call}")
    check(json.loads(call.function.arguments) == {"city": "Paris"}, f"arguments: {call}")
    assistant = choice.message.model_dump(exclude_none=True)
    result = {"role": "tool", "tool_call_id": call.id, "content": "18C"}
    second = client.chat.completions.create(
        model="pincer", messages=[question, assistant, result], tools=[WEATHER]
    )
    ChatCompletion.model_validate(second.to_dict())
    check(second.choices[0].message.content == "It is 18C.", f"after the tool: {second}")
    check(second.choices[0].finish_reason == "stop", f"finish: {second}")


def responses_function_call():
    tools = [{"type": "function", "name": "get_time", "parameters": {"type": "object"}}]
    first = client.responses.create(model="pincer", input="What time is it?", tools=tools)
    Response.model_validate(first.to_dict())
    calls = [item for item in first.output if item.type == "function_call"]
    check(len(calls) == 1 and calls[0].name == "get_time", f"output: {first.output}")
    second = client.responses.create(
        model="pincer",
        previous_response_id=first.id,
        tools=tools,
        input=[{"type": "function_call_output", "call_id": calls[0].call_id, "output": "noon"}],
    )
    Response.model_validate(second.to_dict())
    check(second.output_text == "It is noon.", f"after the call: {second.output_text!r}")


def chat_plain_and_streamed():
    answer = client.chat.completions.create(
        model="pincer",
        messages=[{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hello"}],
        temperature=0.2,
        max_tokens=50,
        stop=["END"],
    )
    ChatCompletion.model_validate(answer.to_dict())
    check(answer.choices[0].message.content == "echo: hello", f"answer: {answer}")
    check(answer.usage.total_tokens > 0, f"usage: {answer.usage}")

    text, usage = "", None
    stream = client.chat.completions.create(
        model="pincer",
        messages=[{"role": "user", "content": "stream me"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        ChatCompletionChunk.model_validate(chunk.to_dict())
        for choice in chunk.choices:
            text += choice.delta.content or ""
        if chunk.usage is not None:
            usage = chunk.usage
    check(text == "echo: stream me", f"streamed text: {text!r}")
    check(usage is not None and usage.total_tokens > 0, f"streamed usage: {usage}")


def chat_errors():
    try:
        client.chat.completions.create(
            model="pincer", messages=[{"role": "user", "content": "hi"}], temperature=5
        )
        check(False, "temperature 5 was accepted")
    except openai.BadRequestError as error:
        check(error.status_code == 400, f"status: {error.status_code}")
        check(error.param == "temperature", f"param: {error.param} in {error.body}")
    wrong = openai.OpenAI(base_url=BASE_URL, api_key="wrong", max_retries=0)
    try:
        wrong.chat.completions.create(model="pincer", messages=[{"role": "user", "content": "hi"}])
        check(False, "a wrong token was accepted")
    except openai.AuthenticationError as error:
        check(error.status_code == 401, f"status: {error.status_code}")


def responses_plain_streamed_and_chained():
    first = client.responses.create(
        model="pincer", input="hi there", instructions="Be brief.", temperature=0.3
    )
    Response.model_validate(first.to_dict())
    check(first.status == "completed", f"status: {first}")
    check(first.output_text == "echo: hi there", f"output_text: {first.output_text!r}")
    check(first.usage.total_tokens > 0, f"usage: {first.usage}")

    kinds, text, completed = [], "", None
    for event in client.responses.create(model="pincer", input="stream this", stream=True):
        events_adapter.validate_python(event.to_dict())
        kinds.append(event.type)
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type == "response.completed":
            completed = event.response
    check(kinds[0] == "response.created" and kinds[-1] == "response.completed", f"{kinds}")
    check(text == "echo: stream this", f"streamed: {text!r}")
    check(completed.output_text == "echo: stream this", f"completed: {completed}")

    # The SDK's stream helper rebuilds the response from the events: it must agree.
    with client.responses.stream(model="pincer", input="helper") as stream:
        final = stream.get_final_response()
    check(final.output_text == "echo: helper", f"stream helper: {final.output_text!r}")

    chained = client.responses.create(
        model="pincer", previous_response_id=first.id, input="second question"
    )
    Response.model_validate(chained.to_dict())
    check(chained.previous_response_id == first.id, f"chained: {chained}")
    check(chained.output_text == "echo: second question", f"chained: {chained.output_text!r}")


def main():
    chat_tool_round_trip()
    responses_function_call()
    chat_plain_and_streamed()
    chat_errors()
    responses_plain_streamed_and_chained()
    print(f"openai {openai.__version__}: every check passed")


if __name__ == "__main__":
    main()
