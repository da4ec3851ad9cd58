"""``python -m chidao.schemas``: write the JSON Schemas shipped for editors again."""

from chidao.schemas import write_json_schemas

for path in write_json_schemas():
    print(path)
