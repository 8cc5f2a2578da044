import "yocto-spinner";
