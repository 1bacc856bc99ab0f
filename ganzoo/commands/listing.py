"""`ganzoo list`: the zoo's entries, read from their YAML alone (no TensorFlow)."""

from ganzoo.commands.common import print_table


def add_to(add_command):
    listing = add_command("list", help="list the zoo entries")
    listing.add_argument("--all", action="store_true",
                         help="also list the paper recipes (entries with the papers' datasets "
                              "and settings, no weights trained here)")
    listing.set_defaults(command=run, needs_tensorflow=False)


def run(args):
    from ganzoo.zoo import catalog as zoo
    from ganzoo.zoo.recipes import is_recipe

    rows, recipes_left_out = [], 0
    for name in zoo.list_entries():
        entry = zoo.read_entry(name)
        if is_recipe(entry) and not args.all:
            recipes_left_out += 1
            continue
        data = entry["data"]["source"]
        if "anomaly_class" in entry["data"]:
            data += f" (anomaly {entry['data']['anomaly_class']})"
        pretrained = ("recipe" if is_recipe(entry) else
                      "yes" if entry.get("pretrained") else "no")
        rows.append((name, zoo.model_name(entry), data, zoo.size_of(entry), pretrained,
                     zoo.key_metrics(entry)))
    print_table(("entry", "variant", "data", "size", "pretrained", "key metrics"), rows)
    if recipes_left_out:
        print(f"(and {recipes_left_out} paper recipes, the papers' datasets and settings with no "
              "weights trained here: ganzoo list --all)")
