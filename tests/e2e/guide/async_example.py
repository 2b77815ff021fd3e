import asyncio
import openai

client = openai.AsyncOpenAI(
    base_url="http://localhost:8080",
    api_key="sk-ingate-your-key",
)

async def main():
    response = await client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Hello from async!"}],
    )
    print(response.choices[0].message.content)

asyncio.run(main())
