from setuptools import find_packages, setup

setup(packages=find_packages(include=['mmpose6d', 'mmpose6d.*']))
