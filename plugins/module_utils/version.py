# -*- coding: utf-8 -*-
# Copyright: azure_vmss.maintenance contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, sent in the User-Agent. A unit test keeps it equal to galaxy.yml's."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

COLLECTION_NAME = 'azure_vmss.maintenance'
COLLECTION_VERSION = '0.1.0'
