from koin_media import create_app

app = create_app()
