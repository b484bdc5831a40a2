from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "buergerbuero.chat"
    label = "chat"
    verbose_name = "Chatbot"
