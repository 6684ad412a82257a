# policies/
