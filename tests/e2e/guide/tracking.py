client = openai.OpenAI(
    base_url="http://localhost:8080",
    api_key="sk-ingate-your-key",
    default_headers={
        "X-Ingate-User-Id": "user_abc123",
        "X-Ingate-Session-Id": "sess_xyz789",
    },
)

response = client.chat.completions.create(
    model="gpt-4o",
    messages=[{"role": "user", "content": "What's the weather like?"}],
)
print(response.choices[0].message.content)
