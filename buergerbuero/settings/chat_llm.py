"""Settings of the chatbot's optional generative phrasing (issue 8, docs/chatbot.md).

Off unless ``CHAT_LLM_URL`` names an OpenAI-compatible endpoint the city runs itself
(Ollama, vLLM); the answer is then phrased by that model from the catalog's facts and
checked before it is used (``buergerbuero/chat/generation.py``).
"""

from .env import env

CHAT_LLM_URL = (
    env(
        "CHAT_LLM_URL",
        "",
        "Base URL of an OpenAI-compatible chat API run by the city (Ollama: "
        "http://127.0.0.1:11434/v1, vLLM: http://127.0.0.1:8000/v1) that phrases the "
        "chatbot's answers from the catalog's facts. Empty: off, the answers are the "
        "catalog's texts as they are. The citizen's message is sent there.",
    )
    or ""
).strip()
CHAT_LLM_MODEL = (
    env(
        "CHAT_LLM_MODEL",
        "",
        "Model name the endpoint serves (e.g. qwen2.5:7b-instruct for Ollama); required "
        "with CHAT_LLM_URL.",
    )
    or ""
).strip()
CHAT_LLM_API_KEY = env(
    "CHAT_LLM_API_KEY",
    "",
    "Optional API key for CHAT_LLM_URL, sent as 'Authorization: Bearer …' (secret).",
)
CHAT_LLM_TIMEOUT = float(
    env(
        "CHAT_LLM_TIMEOUT",
        "8",
        "Seconds the chatbot waits for the phrased answer in all; after that it answers "
        "with the catalog's texts.",
    )
    or 8
)
