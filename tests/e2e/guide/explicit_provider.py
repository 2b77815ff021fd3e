client = openai.OpenAI(
    base_url="http://localhost:8080",
    api_key="sk-ingate-your-key",
    default_headers={"X-Ingate-Provider": "openai"},
)

response = client.chat.completions.create(
    model="gpt-4o",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(response.choices[0].message.content)
