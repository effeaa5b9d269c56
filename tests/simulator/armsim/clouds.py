"""The public Azure clouds the simulator stands in for: their Resource Manager and login host names
(served by the proxy listener) and the token audiences ARM accepts on each."""


# The public host names the proxy listener answers CONNECT for (port 443 only), by cloud. All three
# clouds are always served, so a scenario needs no setting to rehearse an AzureChinaCloud or
# AzureUSGovernment job. Every other host gets 403: the proxy never connects anywhere, it terminates
# TLS itself with a certificate for these names from the simulator's CA and serves them in-process.
PROXY_CLOUDS = {
    "AzureCloud": ("management.azure.com", "login.microsoftonline.com"),
    "AzureChinaCloud": ("management.chinacloudapi.cn", "login.chinacloudapi.cn"),
    "AzureUSGovernment": ("management.usgovcloudapi.net", "login.microsoftonline.us"),
}
PROXY_HOSTS = tuple(h for hosts in PROXY_CLOUDS.values() for h in hosts)
# Token audiences ARM accepts besides the URL the request was addressed to (the classic
# "management.core" audiences are what azure-cli asks for).
ARM_AUDIENCES = {
    "management.azure.com": ("https://management.core.windows.net", "https://management.azure.com"),
    "management.chinacloudapi.cn": ("https://management.core.chinacloudapi.cn", "https://management.chinacloudapi.cn"),
    "management.usgovcloudapi.net": ("https://management.core.usgovcloudapi.net",
                                     "https://management.usgovcloudapi.net"),
}
