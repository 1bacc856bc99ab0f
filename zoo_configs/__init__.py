"""Zoo entry YAML files, shipped as package data of ganzoo.zoo_configs."""
