"""The Flask application: factory, config, models, blueprints."""
