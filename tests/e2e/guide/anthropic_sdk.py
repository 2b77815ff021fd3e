import anthropic

client = anthropic.Anthropic(
    base_url="http://localhost:8080",
    api_key="sk-ingate-your-key",
)

message = client.messages.create(
    model="claude-sonnet-4-20250514",
    max_tokens=200,
    messages=[
        {"role": "user", "content": "Explain AI gateways in one paragraph."},
    ],
)
print(message.content[0].text)
