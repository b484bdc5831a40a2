from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Every person who logs in: citizens, caseworkers, administrators.

    A custom model from the first migration on, so that trust levels, login methods
    and departments (issue 5) can be added without swapping the user model later.
    """

    class Meta:
        verbose_name = "Konto"
        verbose_name_plural = "Konten"
