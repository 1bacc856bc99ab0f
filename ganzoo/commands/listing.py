"""`ganzoo list`: the zoo's entries, read from their YAML alone (no TensorFlow)."""

from ganzoo.commands.common import print_table


def add_to(add_command):
    listing = add_command("list", help="list the zoo entries")
    listing.set_defaults(command=run, needs_tensorflow=False)


def run(args):
    from ganzoo.zoo import catalog as zoo

    rows = []
    for name in zoo.list_entries():
        entry = zoo.read_entry(name)
        pretrained = entry.get("pretrained")
        data = entry["data"]["source"]
        if "anomaly_class" in entry["data"]:
            data += f" (anomaly {entry['data']['anomaly_class']})"
        rows.append((name, zoo.model_name(entry), data, zoo.size_of(entry),
                     "yes" if pretrained else "no", zoo.key_metrics(entry)))
    print_table(("entry", "variant", "data", "size", "pretrained", "key metrics"), rows)
