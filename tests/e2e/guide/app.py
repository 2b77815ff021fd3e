import openai

client = openai.OpenAI(
    base_url="http://localhost:8080",
    api_key="sk-ingate-your-key",
)

response = client.chat.completions.create(
    model="gpt-4o",
    messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Explain AI gateways in one paragraph."},
    ],
    max_tokens=200,
)
print(response.choices[0].message.content)
