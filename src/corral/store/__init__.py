"""The environment store: named and path environments, their generations, history and locks."""
