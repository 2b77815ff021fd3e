# Use the OpenAI SDK to talk to Claude
client = openai.OpenAI(
    base_url="http://localhost:8080",
    api_key="sk-ingate-your-key",
    default_headers={
        "X-Ingate-Provider": "anthropic",
        "X-Ingate-Translate": "true",
    },
)

# Same OpenAI interface. Ingate translates to Anthropic format
response = client.chat.completions.create(
    model="claude-sonnet-4-20250514",
    messages=[{"role": "user", "content": "Hello, Claude!"}],
)
print(response.choices[0].message.content)
