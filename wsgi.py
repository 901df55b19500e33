from checkup import create_app

app = create_app()
