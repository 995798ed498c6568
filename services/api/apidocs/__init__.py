"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc``, served from this origin."""
