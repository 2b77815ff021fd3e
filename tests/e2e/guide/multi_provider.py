import openai

INGATE_URL = "http://localhost:8080"
INGATE_KEY = "sk-ingate-your-key"

def get_client(
    provider: str | None = None,
    translate: bool = False,
    user_id: str | None = None,
    session_id: str | None = None,
) -> openai.OpenAI:
    headers: dict[str, str] = {}
    if provider:
        headers["X-Ingate-Provider"] = provider
    if translate:
        headers["X-Ingate-Translate"] = "true"
    if user_id:
        headers["X-Ingate-User-Id"] = user_id
    if session_id:
        headers["X-Ingate-Session-Id"] = session_id

    return openai.OpenAI(
        base_url=INGATE_URL,
        api_key=INGATE_KEY,
        default_headers=headers,
    )

# Auto-detected (no provider header needed)
default_client = get_client()

# Explicit provider
openai_client = get_client(provider="openai")

# Anthropic via OpenAI SDK with translation
claude_client = get_client(provider="anthropic", translate=True)

# With user tracking
tracked_client = get_client(user_id="user_abc", session_id="sess_xyz")
