from django.utils import translation


class UserLanguageMiddleware:
    """Speak the signed-in user's chosen language (fi/en) rather than the browser's.

    Runs after AuthenticationMiddleware; LocaleMiddleware has already chosen a language from the
    cookie or Accept-Language for anonymous visitors. API clients that sign in with a token are
    handled in the API's views, since DRF authenticates them only there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
