import openai

client = openai.OpenAI(
    base_url="http://localhost:8080",
    api_key="sk-ingate-your-key",
)

try:
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Hello"}],
    )
    print(response.choices[0].message.content)

    # Access Ingate response headers
    request_id = response.headers.get("X-Ingate-Request-Id")
    print(f"Request ID: {request_id}")

except openai.RateLimitError:
    print("Rate limit exceeded, check your Ingate plan limits")
except openai.AuthenticationError:
    print("Invalid Ingate API key")
except openai.APIConnectionError:
    print("Cannot reach Ingate, check your network")
except openai.APIStatusError as e:
    print(f"API error {e.status_code}: {e.message}")
